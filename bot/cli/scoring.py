"""``strongtie status``, ``strongtie score`` and ``strongtie calibrate``."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from bot.cli.board import board_text
from bot.cli.kit import as_of_option, echo, emit_json, resolve_as_of, runtime
from bot.timeutil import iso
from bot.jobs.score import relationship_statuses, score_job
from config.scoring import COMPONENTS, ScoringParams
from config.vocabulary import TIE_STAGES
from models.scoring.assess import assess
from models.scoring.calibration import (
    MIN_RATINGS_TO_FIT,
    MIN_RATINGS_TO_REPORT,
    RESEARCH_ACCURACY,
    RESEARCH_MAE,
    RatedRelationship,
    evaluate,
    fit_weights,
)
from models.store.interactions import load_touches
from models.store.ratings import latest_ratings
from models.store.teams import team_by_name

_FEW_FOR_A_FIT = 30  # below this many ratings, a fitted weight set is flagged as tentative


def register(cli: click.Group) -> None:
    """Add ``status``, ``score`` and ``calibrate`` to the command group."""
    cli.add_command(status)
    cli.add_command(score)
    cli.add_command(calibrate)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@as_of_option
@click.option("--team", metavar="NAME", help="Only this team.")
def status(as_json: bool, as_of: str | None, team: str | None) -> None:
    """Per customer: score (0-100), tie stage, hourglass stage, at-risk flag and why."""
    moment = resolve_as_of(as_of)
    rt = runtime()
    params = rt.scoring
    with rt.session() as session:
        team_id = team_by_name(team, session=session).id if team else None
        statuses = relationship_statuses(session=session, as_of=moment, team_id=team_id, params=params)
    if as_json:
        emit_json([s.as_json() for s in statuses])
        return
    echo(board_text(statuses, moment))


@click.command()
@as_of_option
def score(as_of: str | None) -> None:
    """The scoring job the scheduler runs: store a snapshot and the stage changes of every tracked
    relationship as of --as-of (default now). Running it twice for one moment changes nothing."""
    moment = resolve_as_of(as_of)
    summary = score_job(runtime(), as_of=moment)
    stages = ", ".join(f"{summary.by_stage[stage]} {stage.replace('_', ' ')}" for stage in TIE_STAGES
                       if summary.by_stage.get(stage))
    echo(f"Scored {summary.scored} relationship(s) as of {iso(summary.as_of)}: {stages or 'none tracked'}; "
               f"{summary.at_risk} at risk; stage changes {summary.stage_changes_added} added, "
               f"{summary.stage_changes_removed} removed.")


def rated_relationships(*, session: Session, params: ScoringParams) -> list[RatedRelationship]:
    """The latest rating of each rated customer, with the model's view as of that rating."""
    points = []
    for rating in latest_ratings(session=session):
        touches = load_touches([rating.customer_id], session=session, until=rating.rated_at)
        result = assess(touches.get(rating.customer_id, ()), rating.rated_at, params, explain=False)
        points.append(RatedRelationship(rating.customer.name, rating.rating, result.features, result.two_way))
    return points


@click.command()
@click.option("--fit", is_flag=True, help="Fit the weights to the team's ratings and show before/after.")
def calibrate(fit: bool) -> None:
    """Model error against managers' own ratings (strongtie rate).

    Compares score/100 with rating/10 for the latest rating of each customer, scored as of the
    moment the rating was given. --fit finds component weights (0-100 points each) that match the
    ratings best (bounded least squares) and prints them as a [scoring] table for strongtie.toml."""
    rt = runtime()
    params = rt.scoring
    with rt.session() as session:
        points = rated_relationships(session=session, params=params)
    needed = MIN_RATINGS_TO_FIT if fit else MIN_RATINGS_TO_REPORT
    if len(points) < needed:
        what = "fit weights" if fit else "measure the model's error"
        echo(f"Too few ratings to {what}: {len(points)} rated customer(s), at least {needed} needed. "
                   f"Rate more relationships with `strongtie rate CUSTOMER 0-10` or `/tie rate`.")
        return
    before = evaluate(points, params)
    echo(f"{before.count} rated relationship(s), each scored as of its latest rating.")
    echo(_evaluation_line("Current weights", before))
    echo(f"(The research model reached about {RESEARCH_MAE:.2f} MAE and {RESEARCH_ACCURACY:.0%} accuracy.)")
    if not fit:
        return
    weights = fit_weights(points, params)
    after = evaluate(points, params.with_weights(weights))
    echo(_evaluation_line("Fitted weights ", after))
    echo("")
    echo(f"  {'component':<12} {'before':>7} {'after':>7}")
    for name in COMPONENTS:
        echo(f"  {name:<12} {params.weight(name):7.1f} {weights[name]:7.1f}")
    echo("")
    if len(points) < _FEW_FOR_A_FIT:
        echo(f"Only {len(points)} ratings: a fit this small follows them closely and may not generalise; "
                   f"check it against new ratings before relying on it.")
    echo("To use the fitted weights, put this in strongtie.toml:")
    echo("[scoring]")
    for name in COMPONENTS:
        echo(f"weight_{name} = {weights[name]}")


def _evaluation_line(label: str, evaluation) -> str:
    return f"{label}: MAE {evaluation.mae:.3f}, strong-vs-weak accuracy {evaluation.accuracy:.0%}"
