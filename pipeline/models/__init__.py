"""Model registry: named models that install offline from PyPI packages, or any local file/folder."""
