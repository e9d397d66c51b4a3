"""Sphinx configuration for the textprint documentation.

Build (warnings are errors, no network)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

# Document the source tree even where the package is not installed (an editable install puts
# the same directory on the path, so this changes nothing there).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# The site's own extension (method summaries, build guards) lives in docs/_ext.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import textprint  # noqa: E402

# -- Project ------------------------------------------------------------------------------------

project = "textprint"
author = "textprint developers"
copyright = "textprint developers; Apache License 2.0"
release = textprint.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # summary tables only; no stub pages are generated
    "numpydoc",
    "myst_parser",
    "sphinx_copybutton",
    "textprint_sphinx",  # docs/_ext: class-summary tables; fails on tables rendered as text
]
# sphinx.ext.intersphinx is deliberately off: the build must not need the network.

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "_scripts", "Thumbs.db", ".DS_Store"]
language = "en"
# Every cross-reference must resolve: with -W a name that links nowhere fails the build.
nitpicky = True

# -- MyST ---------------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # "page.md#a-heading" links for headings down to level 3

# -- autodoc, autosummary, numpydoc -------------------------------------------------------------

autodoc_member_order = "bysource"
# Types are written in the numpydoc sections (with shapes and dtypes); the annotations would
# only repeat them as long numpy.typing expressions.
autodoc_typehints = "none"
autodoc_preserve_defaults = True
autosummary_generate = False
# Members are documented explicitly on each reference page; numpydoc's automatic member tables
# would repeat them (and list dataclass fields a second time).
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- sphinx-copybutton ---------------------------------------------------------------------------

# Copy only what a reader types: the input lines of a >>> session (not its output), and
# commands without their "$ " prompt.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- HTML ---------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"textprint {release}"
html_static_path: list[str] = []
html_show_sourcelink = False


# -- Hooks --------------------------------------------------------------------------------------


def _protocol_signature(app, what, name, obj, options, signature, return_annotation):
    # A Protocol is never instantiated; typing gives it an ``__init__(*args, **kwargs)`` that
    # autodoc would show as its signature. Show the class name alone.
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", return_annotation
    return None


def setup(app):
    app.connect("autodoc-process-signature", _protocol_signature)
