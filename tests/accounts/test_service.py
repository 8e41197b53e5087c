from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.accounts import service as accounts
from trustpulse.accounts.schemas import TeamCreate, UserCreate
from trustpulse.errors import ConflictError, InvalidInputError


def test_ensure_user_creates_once_with_a_slug_username(session: Session) -> None:
    user = accounts.ensure_user(session, "  Li Wei ")
    again = accounts.ensure_user(session, "li wei")
    assert (user.username, user.display_name) == ("li-wei", "Li Wei")
    assert again.id == user.id
    assert accounts.ensure_user(session, "张三").username == "张三"


def test_ensure_user_refuses_a_name_without_letters(session: Session) -> None:
    with pytest.raises(InvalidInputError):
        accounts.ensure_user(session, " -- ")


def test_duplicate_username_is_a_conflict(session: Session) -> None:
    accounts.create_user(session, UserCreate(username="wang", display_name="Wang"))
    with pytest.raises(ConflictError):
        accounts.create_user(session, UserCreate(username="wang", display_name="Wang Fang"))
    assert accounts.find_user_by_username(session, "nobody") is None


def test_team_lead_must_be_a_member(session: Session) -> None:
    outsider = accounts.ensure_user(session, "Outsider")
    with pytest.raises(ValidationError, match="lead must be a member"):
        TeamCreate(name="Service desk", lead_id=outsider.id, member_ids=[])
    unchecked = TeamCreate.model_construct(name="Desk", lead_id=outsider.id, member_ids=[])
    with pytest.raises(InvalidInputError, match="lead must be a member"):
        accounts.create_team(session, unchecked)

    team = accounts.create_team(session, TeamCreate(name="Service desk"))
    with pytest.raises(InvalidInputError):
        accounts.set_lead(session, team, outsider)
    accounts.add_member(session, team, outsider)
    accounts.set_lead(session, team, outsider)
    assert team.lead_id == outsider.id
    with pytest.raises(ConflictError, match="leads team"):
        accounts.remove_member(session, team, outsider)


def test_teams_members_and_memberships(session: Session) -> None:
    acme, other = make_brand(session, code="acme"), make_brand(session, code="other")
    lead = accounts.ensure_user(session, "Lead")
    agent = accounts.ensure_user(session, "Agent")
    complaints = accounts.create_team(
        session,
        TeamCreate(name="Complaints", brand_id=acme.id, lead_id=lead.id, member_ids=[lead.id]),
    )
    accounts.add_member(session, complaints, agent)
    accounts.add_member(session, complaints, agent)  # idempotent
    shared = accounts.create_team(session, TeamCreate(name="Central desk", member_ids=[agent.id]))
    accounts.create_team(session, TeamCreate(name="Other brand team", brand_id=other.id))

    assert [u.username for u in accounts.team_members(session, complaints.id)] == ["agent", "lead"]
    assert [t.name for t in accounts.teams_of_user(session, agent.id)] == [
        "Central desk",
        "Complaints",
    ]
    assert [t.id for t in accounts.list_teams(session, brand_id=acme.id)] == [
        shared.id,
        complaints.id,
    ]
    assert len(accounts.list_teams(session)) == 3
    with pytest.raises(ConflictError):
        accounts.create_team(session, TeamCreate(name="Complaints", brand_id=acme.id))
