"""Which viewers a campaign report stands for. The report page's form and the API's query parameters
each make one ReportFilters; the report, its viewer list, its exports and their file names all take
that one value, so a filter added here reaches every one of them."""

from dataclasses import asdict, dataclass, replace

from studies.models import ViewerSession

# The consent page's optional questions a report can be narrowed by: field here, word for it.
QUESTIONS = (("gender", "gender", ViewerSession.Gender), ("age_band", "age", ViewerSession.AgeBand))


@dataclass(frozen=True)
class ReportFilters:
    completed_only: bool = True  # only viewers who watched to the end
    min_face_share: float = 0.0  # only viewers whose face was visible at least this share of the time (0..1)
    # A ViewerSession.AgeBand / Gender value, ViewerSession.NOT_GIVEN for those who did not answer,
    # or "" for every answer.
    age_band: str = ""
    gender: str = ""

    def as_dict(self) -> dict:
        """As a report carries them (the JSON export and the API show them)."""
        return asdict(self)

    def any_answer_to(self, question: str) -> "ReportFilters":
        """These filters with every answer to `question` ("age_band" or "gender") let in."""
        return replace(self, **{question: ""})

    def label(self) -> str:
        """The viewers these filters keep, in words ("Woman, 25-34, face visible 90 %+"); "" for the
        report's default, every viewer who watched to the end."""
        parts = []
        for field, question, choices in QUESTIONS:
            answer = getattr(self, field)
            if answer:
                parts.append(f"{question} not given" if answer == ViewerSession.NOT_GIVEN else choices(answer).label)
        if self.min_face_share:
            parts.append(f"face visible {100 * self.min_face_share:.0f} %+")
        if not self.completed_only:
            parts.append("unfinished included")
        return ", ".join(parts)
