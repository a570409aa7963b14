"""Deliveries against the agreed brief, requirement by requirement, with evidence a person can check.

Each requirement gets one verdict:

- `met`, `partly_met`, `not_met`: measured from the files (see `mediation.inspection`) or from
  the dates; the evidence says what was counted, e.g. "8 JPEG 1080x1080: 8 of 8" or
  "2 of 8 are 800x800".
- `needs_human`: what a machine cannot judge from the files ("natural light", "friendly tone",
  "no people in the shot"), or a fact nobody gave (no delivery date). The evidence says so
  plainly; nothing is guessed.

Terms a delivery cannot break get `met` with weight 0 and stay out of coverage: the price (a
payment term), usage rights (what the client may do with the work), the number of revision
rounds (a promise about later changes) and scope exclusions ("printing is not included": the
freelancer owes nothing there). The evidence says "not checkable from files, not counted".
Exclusions phrased as content ("photos without people") are judgement calls: `needs_human`.

Coverage, in 0..1, is a weighted mean over the counted requirements (weight > 0 and a verdict
other than `needs_human`):

    coverage = sum(weight_i * score_i) / sum(weight_i)
    score = 1 for met, 0 for not_met, and for partly_met the measured share (6 of 8 -> 0.75,
    0.5 when no share applies)

Weights: a missing deliverable must outweigh a cosmetic miss.

    deliverable count 5 | length 3 | format 2 | pixel size / aspect / dpi 2 | deadline 2
    sample approval 1 | colour mode, transparency 1 | price, usage, revisions, exclusions 0

When nothing is countable (every requirement is a judgement call or a term), coverage is None
rather than a number that would read as a verdict, and a note says so.

One module per kind of requirement, each a mixin of the shared `context.Context`:
`deliverables` (counts and approved samples), `formats`, `dimensions` (pixel size, aspect, DPI,
file size), `lengths` (words, pages, duration), `deadline`, `terms` (price, usage, revisions,
exclusions) and `quality` (judgement calls and colour mode). `clauses` reads what a clause
asks, `wording` phrases the evidence, `results` holds what comes out, `run` puts the checks
together and scores coverage, `bench` measures the whole for capacity notes.
"""

from .bench import bench_assess
from .clauses import FORMAT_CATEGORY, ITEM_CATEGORY, SAMPLE_WORDS, deliverable_category, requirement_label
from .deadline import MAX_DEADLINE_DAYS, add_working_days, parse_deadline_date
from .deliverables import counts_parts
from .formats import FORMAT_TYPES, LINK_FORMATS
from .results import HUMAN, MARK, MET, NOT_MET, PARTLY, VERDICTS, WEIGHTS, Assessment, Check
from .run import PROGRESS_AFTER_S, PROGRESS_FILES, assess, assess_async

__all__ = [
    "FORMAT_CATEGORY",
    "FORMAT_TYPES",
    "HUMAN",
    "ITEM_CATEGORY",
    "LINK_FORMATS",
    "MARK",
    "MAX_DEADLINE_DAYS",
    "MET",
    "NOT_MET",
    "PARTLY",
    "PROGRESS_AFTER_S",
    "PROGRESS_FILES",
    "SAMPLE_WORDS",
    "VERDICTS",
    "WEIGHTS",
    "Assessment",
    "Check",
    "add_working_days",
    "assess",
    "assess_async",
    "bench_assess",
    "counts_parts",
    "deliverable_category",
    "parse_deadline_date",
    "requirement_label",
]
