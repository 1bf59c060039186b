from sqlmodel import select

from portal.db import Database
from portal.staff.models import StaffMember, StaffRole


def create_staff(db: Database, email: str, role: StaffRole) -> tuple[StaffMember, bool]:
    """Add a staff member, or update the role of an existing one. Returns (member, created)."""
    email = email.strip().lower()
    with db.transaction() as session:
        member = session.exec(select(StaffMember).where(StaffMember.email == email)).first()
        created = member is None
        if created:
            member = StaffMember(email=email, role=role)
        else:
            member.role = role
            member.active = True
        session.add(member)
    return member, created
