"""Engines and peers textprint works with (the core never imports these modules)."""
