"""Coordination API: search, similar projects and decisions, offer matches, dashboard.

Shapes (see issue 4 and docs/api.md):

* ``GET /api/v1/search?q=...&type=project|offer|update`` →
  ``{"results": [{"type", "ref" | "id", "title", "snippet", "score"}]}``, best first;
  ``snippet`` is HTML: escaped text with the matched words in ``<mark>``.
* ``GET /api/v1/projects/REF/similar`` → ``{"candidates": [{"ref", "score", "reasons"}]}``
* ``POST /api/v1/projects/REF/links`` ``{"other": REF, "kind": ..., "note": ...}``
* ``GET /api/v1/projects/REF/offers`` → ``{"offers": [{"id", "score", "reasons"}]}``
* ``GET /api/v1/offers/ID/matches`` → ``{"matches": [{"ref", "score", "reasons"}]}``
* ``POST /api/v1/offers/ID/matches/REF/pledge`` → the proposed pledge
* ``GET /api/v1/dashboard`` → the dashboard figures the user may see
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from tmdesk.core import dashboard, figures, matching, proposals, search, similarity
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import Offer
from tmdesk.core.validation import parse_int
from tmdesk.core.visibility import get_visible_project, is_officer, visible_offers
from tmdesk.web.api.common import (
    json_body,
    money_str,
    optional_json_body,
    pledge_json,
    token_required,
)
from tmdesk.web.common import acting_user, project_or_404

bp = Blueprint("api_coordination", __name__, url_prefix="/api/v1")


def offer_or_404(offer_id: str) -> Offer:
    offer = visible_offers(acting_user(), Offer.select()).where(Offer.uid == offer_id).first()
    if offer is None:
        abort(404)
    return offer


def _limit(default: int = 20, maximum: int = 100) -> int:
    raw = request.args.get("limit", "")
    if not raw:
        return default
    value = parse_int(raw, minimum=1, maximum=maximum)
    if value is None:
        raise ValidationError({"limit": f"A whole number from 1 to {maximum}."})
    return value


@bp.get("/search")
@token_required
def search_api():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("type") or None
    if kind is not None and kind not in search.TYPES:
        raise ValidationError({"type": "One of: project, offer, update."})
    if len(q) > 200:
        raise ValidationError({"q": "At most 200 characters."})
    results = search.search(
        acting_user(), q, type=kind, limit=_limit(), locale=request.args.get("lang", "en")
    )
    out = []
    for r in results:
        item = {"type": r.type, "title": r.title, "snippet": r.snippet, "score": round(r.score, 4)}
        item["ref" if r.type == "project" else "id"] = r.key
        if r.project_ref:
            item["project"] = r.project_ref
        out.append(item)
    return jsonify(results=out)


def _candidate_json(c: similarity.Candidate) -> dict:
    return {
        "ref": c.ref,
        "score": c.score,
        "reasons": [str(r) for r in c.reasons],
        "likely_duplicate": c.alarming,
    }


@bp.get("/projects/<ref>/similar")
@token_required
def similar(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not similarity.may_see_duplicates(user, project):
        raise PermissionDenied("Only the coordinating offices and the recipient see overlaps.")
    found = similarity.similar_projects(user, project, limit=_limit(10, 50))
    return jsonify(candidates=[_candidate_json(c) for c in found])


@bp.post("/projects/<ref>/links")
@token_required
def link(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    data = json_body()
    other_ref = data.get("other")
    other = get_visible_project(user, other_ref) if isinstance(other_ref, str) else None
    if other is None:
        raise ValidationError({"other": "No such project."})
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise ValidationError({"note": "Must be text."})
    decision = similarity.record_decision(user, project, other, str(data.get("kind") or ""), note)
    return jsonify(
        link={
            "project": project.ref,
            "other": other.ref,
            "kind": decision.kind,
            "note": decision.note,
        }
    ), 201


def _match_json(m: matching.Match, key: str) -> dict:
    out = {"score": m.score, "reasons": [str(r) for r in m.reasons]}
    if key == "ref":
        out["ref"] = m.project.ref
        if m.funding is not None:
            out["gap_eur"] = money_str(m.funding.gap_eur)
    else:
        out["id"] = m.offer.uid
        out["organisation"] = m.offer.organisation.code
    return out


@bp.get("/offers/<uid:offer_id>/matches")
@token_required
def offer_matches(offer_id: str):
    offer = offer_or_404(offer_id)
    found = matching.matches_for_offer(acting_user(), offer, limit=_limit())
    return jsonify(matches=[_match_json(m, "ref") for m in found])


@bp.post("/offers/<uid:offer_id>/matches/<ref>/pledge")
@token_required
def offer_to_pledge(offer_id: str, ref: str):
    offer = offer_or_404(offer_id)
    project = project_or_404(ref)
    data = optional_json_body()  # a broken or non-object body is a 400, never ignored
    pledge = proposals.propose_pledge(acting_user(), offer, project, data)
    return jsonify(pledge=pledge_json(pledge, acting_user())), 201


@bp.get("/projects/<ref>/offers")
@token_required
def project_offers(ref: str):
    user = acting_user()
    project = project_or_404(ref)
    if not is_officer(user):
        raise PermissionDenied("Only the coordinating offices match offers.")
    found = matching.offers_for_project(user, project, limit=_limit(10, 50))
    return jsonify(offers=[_match_json(m, "id") for m in found])


@bp.get("/dashboard")
@token_required
def dashboard_api():
    board = dashboard.build(acting_user())

    def pairs(rows):
        return [{"code": code, "gap_eur": money_str(v)} for code, v in rows]

    out = {
        "full": board.full,
        "totals_eur": {k: money_str(v) for k, v in board.totals.items()},
        "open_projects": board.open_projects,
        "definitions": dict(figures.DEFINITIONS),
        "tlp": board.tlp,
        "over_time": [
            {"quarter": q, "pledged_eur": money_str(p), "disbursed_eur": money_str(d)}
            for q, p, d in board.over_time
        ],
        "gap_by_category": pairs(board.gap_by_category),
        "gap_by_priority": pairs(board.gap_by_priority),
        "gap_by_oblast": pairs(board.gap_by_oblast),
        "by_donor": [
            {
                "code": r.code,
                "pledged_eur": money_str(r.pledged),
                "confirmed_eur": money_str(r.confirmed),
                "disbursed_eur": money_str(r.disbursed),
            }
            for r in board.by_donor
        ],
        "pipeline": [{"status": s, "count": n} for s, n in board.pipeline],
    }
    if board.full:
        out["gap_by_recipient"] = [
            {"code": c, "gap_eur": money_str(v)} for c, _name, v in board.gap_by_recipient
        ]
        out["review_waiting"] = [{"ref": p.ref, "days": d} for p, d in board.review_waiting]
        out["review_count"] = board.review_count
        out["offers_unmatched"] = [o.uid for o in board.offers_unmatched]
        out["offers_unmatched_count"] = board.offers_unmatched_count
        out["possible_duplicates"] = [
            {"ref": p.ref, "other": c.ref, "score": c.score} for p, c in board.duplicates
        ]
    return jsonify(out)
