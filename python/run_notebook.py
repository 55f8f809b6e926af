"""Runs a friktion companion notebook top to bottom with nbclient, as a researcher's Jupyter would.

    run_notebook.py NOTEBOOK [OUT]

Executes every cell in the notebook's own directory with the python3 kernel (ipykernel from
this environment) and, if OUT is given, saves the executed notebook there. Prints JSON:
{"cells": code cells run, "figures": PNG images produced, "errors": [...]}; exits 1 when a
cell fails.
"""

import json
import os
import sys

import nbclient
import nbformat


def main():
    path = sys.argv[1]
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    errors = []
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        errors.append(str(e)[-2000:])
    code = [c for c in nb.cells if c.cell_type == "code"]
    figures = sum(1 for c in code for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {}))
    if len(sys.argv) > 2:
        nbformat.write(nb, sys.argv[2])
    json.dump({"cells": len(code), "figures": figures, "errors": errors}, sys.stdout)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
