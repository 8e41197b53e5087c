"""Users and teams: create and find people, group them into teams led by one of their members."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team, User
from trustpulse.accounts.schemas import TeamCreate, UserCreate
from trustpulse.errors import ConflictError, InvalidInputError, NotFoundError

_USERNAME_MAX = 80


def username_for(display_name: str) -> str:
    """A username from a display name: "Li Wei" -> "li-wei"; CJK letters are kept ("张三")."""
    normalized = unicodedata.normalize("NFKC", display_name).casefold()
    slug = re.sub(r"[^\w.]+", "-", normalized).strip("-._")[:_USERNAME_MAX].strip("-._")
    if not slug:
        raise InvalidInputError(f"no username can be made from {display_name!r}", field="owner")
    return slug


def create_user(session: Session, data: UserCreate) -> User:
    """Raises ConflictError if the username is taken."""
    if find_user_by_username(session, data.username) is not None:
        raise ConflictError(f"username {data.username!r} is taken", field="username")
    user = User(
        username=data.username, display_name=data.display_name, email=data.email, is_active=True
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found", id=user_id)
    return user


def find_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def ensure_user(session: Session, display_name: str) -> User:
    """The user an import names as owner, created on first use (username = slug of the name)."""
    display_name = display_name.strip()
    username = username_for(display_name)
    user = find_user_by_username(session, username)
    if user is None:
        user = create_user(session, UserCreate(username=username, display_name=display_name))
    return user


def create_team(session: Session, data: TeamCreate) -> Team:
    """Raises ConflictError if the brand already has a team of that name, NotFoundError for
    unknown member ids, InvalidInputError if the lead is not a member."""
    _require_lead_is_member(data.lead_id, data.member_ids)
    duplicate = session.scalar(
        select(Team.id).where(
            Team.brand_id.is_not_distinct_from(data.brand_id), Team.name == data.name
        )
    )
    if duplicate is not None:
        raise ConflictError(f"team {data.name!r} already exists", field="name")
    members = [get_user(session, user_id) for user_id in dict.fromkeys(data.member_ids)]
    team = Team(
        brand_id=data.brand_id,
        name=data.name,
        lead_id=data.lead_id,
        calendar=data.calendar,
        members=members,
    )
    session.add(team)
    session.flush()
    return team


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"team {team_id} not found", id=team_id)
    return team


def add_member(session: Session, team: Team, user: User) -> None:
    if user not in team.members:
        team.members.append(user)
        session.flush()


def remove_member(session: Session, team: Team, user: User) -> None:
    """Raises ConflictError when removing the lead: name another lead first."""
    if team.lead_id == user.id:
        raise ConflictError(f"{user.username} leads team {team.name!r}", field="lead_id")
    if user in team.members:
        team.members.remove(user)
        session.flush()


def set_lead(session: Session, team: Team, user: User | None) -> None:
    """Raises InvalidInputError if the new lead is not a member."""
    if user is not None:
        _require_lead_is_member(user.id, [member.id for member in team.members])
    team.lead_id = user.id if user is not None else None
    session.flush()


def list_teams(session: Session, *, brand_id: int | None = None) -> list[Team]:
    """All teams, or a brand's teams plus the teams shared by all brands."""
    stmt = select(Team).order_by(Team.name, Team.id)
    if brand_id is not None:
        stmt = stmt.where(or_(Team.brand_id == brand_id, Team.brand_id.is_(None)))
    return list(session.scalars(stmt))


def team_members(session: Session, team_id: int) -> list[User]:
    return sorted(get_team(session, team_id).members, key=lambda user: user.username)


def teams_of_user(session: Session, user_id: int) -> list[Team]:
    return sorted(get_user(session, user_id).teams, key=lambda team: (team.name, team.id))


def _require_lead_is_member(lead_id: int | None, member_ids: Sequence[int]) -> None:
    if lead_id is not None and lead_id not in member_ids:
        raise InvalidInputError("the team lead must be a member of the team", field="lead_id")
