"""Hypothesis strategies shared by the property tests and the bounded fuzz run."""
from __future__ import annotations

from hypothesis import strategies as st

MARKUP = list("[]()\\{}-*'<>!/\"#:|=_~.,; \n\r\t") + ["](", "[[", "]]", "{{", "}}", "-{", "}-", "\\[1\\]", "**",
                                                        "<!--", "-->", "<a href='x'>", "</a>", "<br />", "http://x.y/z",
                                                        '"wikilink"', "../Page/", ".md", "Category:", "fig:"]
HAN = list("王明博古共产国际派中国党会议。，、；：“”《》（）！？罗明那兹張聞天") + ["１", "Ａ", "\u3000"]
wiki_text = st.lists(st.one_of(st.sampled_from(MARKUP), st.sampled_from(HAN), st.characters()),
                     max_size=80).map("".join)
