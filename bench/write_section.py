"""Replace the text between <!-- NAME:begin --> and <!-- NAME:end --> in a
markdown file with the contents of SECTION (appended with its markers when
they are missing), so that each benchmark script rewrites only its part.

    python3 bench/write_section.py DOC NAME SECTION_FILE
"""
import os
import sys

doc, name, path = sys.argv[1:4]
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n"
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
block = f"{begin}\n{open(path).read().rstrip()}\n{end}\n"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + block + (tail[1:] if tail.startswith("\n") else tail)
else:
    text = text.rstrip("\n") + "\n\n" + block
open(doc, "w").write(text)
