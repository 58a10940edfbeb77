"""Fill empty msgstr entries of a .po catalogue from a TSV of `msgid<TAB>translation` lines.

Usage: python scripts/po_fill.py path/to/django.po pairs.tsv
Only single-line msgids are filled: empty ones, and fuzzy guesses made by msgmerge (which are
replaced and lose their fuzzy flag). Reviewed translations are kept.
"""
import re
import sys


def main(po_path, tsv_path):
    pairs = {}
    for line in open(tsv_path, encoding="utf-8"):
        line = line.rstrip("\n")
        if "\t" in line:
            k, v = line.split("\t", 1)
            pairs[k] = v
    text = open(po_path, encoding="utf-8").read()
    blocks = text.split("\n\n")
    filled = 0
    for i, block in enumerate(blocks):
        fuzzy = "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"Project' not in block
        m = re.search(r'^msgid "(.+)"\nmsgstr ""$', block, flags=re.M)
        if not m and fuzzy:  # a fuzzy guess by msgmerge: replace it
            m = re.search(r'^msgid "(.+)"\nmsgstr (?:".*"\n?)+', block, flags=re.M)
            block = re.sub(r"^#\| .*\n", "", block, flags=re.M)
        if not m:
            continue
        key = m.group(1).encode().decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in m.group(1) else m.group(1)
        if key in pairs:
            value = pairs[key].replace("\\", "\\\\").replace('"', '\\"')
            block = block.replace(m.group(0), f'msgid "{m.group(1)}"\nmsgstr "{value}"')
            block = re.sub(r"^#, fuzzy\n", "", block, flags=re.M).replace("#, fuzzy, ", "#, ")
            blocks[i] = block
            filled += 1
    open(po_path, "w", encoding="utf-8").write("\n\n".join(blocks))
    print(f"{po_path}: filled {filled}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
