"""The case file of a closed case (人民调解卷宗): what goes in (parts.py), the pages made from records
(record_pages.py), making it and logging it (making.py), and the staff's service (service.py)."""

from server.domain.case_file.making import DEFAULT_RETENTION, Made, existing, make_case_file
from server.domain.case_file.parts import KIND, PARTS
from server.domain.case_file.service import Dossiers

__all__ = ["DEFAULT_RETENTION", "KIND", "PARTS", "Dossiers", "Made", "existing", "make_case_file"]
