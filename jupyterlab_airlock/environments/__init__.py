"""What a kernel's environment is: the interpreter behind a kernelspec (``interpreter``), the
wheel tags and conda subdir it supports (``platforms``), and the facts its own interpreter
gives: prefix, kind, packages (``facts``)."""
