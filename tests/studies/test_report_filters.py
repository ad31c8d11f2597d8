"""A report's filters say in words which viewers it stands for (page header, chart title, file names)."""

from studies.models import ViewerSession
from studies.report_filters import ReportFilters


def test_the_default_report_needs_no_words():
    assert ReportFilters().label() == ""


def test_each_filter_is_named():
    filters = ReportFilters(completed_only=False, min_face_share=0.9, age_band="25_34", gender="woman")
    assert filters.label() == "Woman, 25-34, face visible 90 %+, unfinished included"


def test_viewers_who_did_not_answer_are_named_as_such():
    filters = ReportFilters(age_band=ViewerSession.NOT_GIVEN, gender=ViewerSession.NOT_GIVEN)
    assert filters.label() == "gender not given, age not given"


def test_any_answer_to_one_question_keeps_the_other_filters():
    filters = ReportFilters(min_face_share=0.5, age_band="18_24", gender="man")
    assert filters.any_answer_to("gender") == ReportFilters(min_face_share=0.5, age_band="18_24")
    assert filters.as_dict() == {"completed_only": True, "min_face_share": 0.5, "age_band": "18_24", "gender": "man"}
