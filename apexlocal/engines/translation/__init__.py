"""Machine translation of text lines: Debian's Apertium pairs (rule-based, on any CPU, no weights to
download; `apertium`) and M2M100 on transformers (`m2m100`). `translate.translate_texts` is the entry
point other engines call; `languages` says, without importing either, which pairs the models of a
catalogue translate and which model to use for one."""
