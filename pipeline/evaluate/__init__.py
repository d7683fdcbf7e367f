"""Quality measured: chrF/BLEU (sacrebleu) and term success / consistency on parallel test sets."""
