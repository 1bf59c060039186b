"""Staff members: who they are, what role they hold, and how a single sign-on identity maps to one."""

from sqlmodel import select

from portal.db import Database, utcnow
from portal.staff.models import StaffMember, StaffNote, StaffRole

# Highest last: a claim naming several roles grants the strongest.
ROLE_ORDER = (StaffRole.support, StaffRole.risk, StaffRole.admin)


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


def role_from_claim(value) -> StaffRole | None:
    """The strongest known role in a roles claim (a list, or a space-separated string); None if none."""
    names = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    known = [role for role in ROLE_ORDER if role.value in {str(name).lower() for name in names}]
    return known[-1] if known else None


def member_for_identity(db: Database, *, email: str, subject: str, name: str, claimed: StaffRole | None) -> StaffMember | None:
    """The staff member a verified identity is, or None (no access).

    A role in the provider's claim wins and is written to the staff table; without one, the table
    decides. A member an admin deactivated never gets in, and a subject other than the one first
    seen for this email is someone else."""
    email = email.strip().lower()
    with db.transaction() as session:
        member = session.exec(select(StaffMember).where(StaffMember.email == email)).first()
        if member is not None and not member.active:
            return None
        if member is not None and member.oidc_subject and member.oidc_subject != subject:
            return None
        if member is None:
            if claimed is None:
                return None
            member = StaffMember(email=email, role=claimed)
        elif claimed is not None:
            member.role = claimed
        member.oidc_subject, member.name, member.last_sign_in_at = subject, name[:200], utcnow()
        session.add(member)
    return member


def get_member(db: Database, staff_id: int) -> StaffMember | None:
    with db.transaction() as session:
        return session.get(StaffMember, staff_id)


def active_members(db: Database) -> list[StaffMember]:
    with db.transaction() as session:
        return list(session.exec(select(StaffMember).where(StaffMember.active).order_by(StaffMember.email)).all())


def is_staff_email(db: Database, email: str) -> bool:
    with db.transaction() as session:
        return session.exec(select(StaffMember.id).where(StaffMember.email == email.strip().lower())).first() is not None


def add_note(db: Database, seller_id: int, member: StaffMember, body: str) -> StaffNote:
    with db.transaction() as session:
        note = StaffNote(seller_id=seller_id, staff_id=member.id, author_email=member.email, body=body)
        session.add(note)
    return note


def notes_for(db: Database, seller_id: int) -> list[StaffNote]:
    with db.transaction() as session:
        return list(session.exec(select(StaffNote).where(StaffNote.seller_id == seller_id).order_by(StaffNote.id)).all())


def all_members(db: Database) -> list[StaffMember]:
    with db.transaction() as session:
        return list(session.exec(select(StaffMember).order_by(StaffMember.active.desc(), StaffMember.email)).all())


def set_active(db: Database, staff_id: int, active: bool) -> StaffMember | None:
    with db.transaction() as session:
        member = session.get(StaffMember, staff_id)
        if member is not None:
            member.active = active
            session.add(member)
    return member
