"""The tie-strength model (pure): interactions and ``as_of`` in, an explainable score, stage path and
at-risk flag out; and its calibration against managers' own ratings."""
