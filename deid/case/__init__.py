"""One case = text parts + photos + DICOM files, scrubbed under one CaseContext.

    scrub_case(items, policy=None, context=None) -> CaseResult

See :mod:`deid.case.scrub` for the order of work and the withholding rule.
"""

from deid.case.parts import CasePart, sniff_kind
from deid.case.scrub import CaseItem, CaseResult, PartResult, scrub_case

__all__ = ["CaseItem", "CasePart", "CaseResult", "PartResult", "scrub_case", "sniff_kind"]
