"""What the sidebar, a resumed chat and the history routes read: threads with (or without) their steps.

Functions of a `FoundryDataLayer`, which keeps Chainlit's method names (`list_threads`,
`get_favorite_steps`) as one-line calls into here. Every value is a bound parameter, and
`list_threads` answers the caller's own threads only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chainlit.types import PageInfo, PaginatedResponse, Pagination, ThreadFilter

from storage import _rows as rows
from storage.guard import caller
from storage.search import ranked_page, ranked_thread_ids

if TYPE_CHECKING:
    from storage.data_layer import FoundryDataLayer

__all__ = ["favorite_steps", "list_threads", "load_threads"]


async def load_threads(
    layer: FoundryDataLayer, where: str, params: dict[str, Any], *, with_steps: bool
) -> list[dict[str, Any]]:
    """Threads matching `where` (a SQL condition on `t`), newest activity first, up to the user thread limit."""
    found = await layer._run(
        f'{rows.THREAD_SELECT} {where} {rows.THREAD_GROUP} ORDER BY "updatedAt" DESC NULLS LAST LIMIT :limit',
        {**params, "limit": layer.user_thread_limit},
    )
    threads = {r["thread_id"]: rows.thread_from_row(r) for r in found}
    if with_steps and threads:
        ids = {"ids": list(threads)}
        steps = await layer._run(
            f'{rows.STEP_SELECT} WHERE s."threadId" IN :ids ORDER BY s."createdAt" ASC NULLS FIRST',
            ids,
            expanding=("ids",),
        )
        for r in steps:
            threads[r["step_threadid"]]["steps"].append(rows.step_from_row(r))
        elements = await layer._run(f'{rows.ELEMENT_SELECT} WHERE e."threadId" IN :ids', ids, expanding=("ids",))
        for r in elements:
            threads[r["element_threadid"]]["elements"].append(rows.element_from_row(r))
    return list(threads.values())


def _page(data: list[Any], more: bool) -> PaginatedResponse:  # type: ignore[type-arg]
    return PaginatedResponse(
        pageInfo=PageInfo(
            hasNextPage=more,
            startCursor=data[0]["id"] if data else None,
            endCursor=data[-1]["id"] if data else None,
        ),
        data=data,
    )


async def list_threads(layer: FoundryDataLayer, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse:  # type: ignore[type-arg]
    """The caller's threads only, newest activity first, without steps (the sidebar needs none)."""
    who = caller()
    user_id = filters.userId
    if who is not None:
        me = await layer._run('SELECT "id" FROM users WHERE "identifier" = :identifier', {"identifier": who})
        if not me:
            return _page([], False)
        user_id = me[0]["id"]
    if not user_id:
        raise ValueError("userId is required")
    where: list[str] = ['WHERE t."userId" = :user_id']
    params: dict[str, Any] = {"user_id": user_id}
    if filters.search:  # full-text, best match first, one page loaded (storage/search.py)
        ranked = await ranked_thread_ids(layer, user_id, filters.search, layer.user_thread_limit or 1000)
        if filters.feedback is None:
            page, more = await ranked_page(layer, ranked, pagination.cursor, pagination.first)
            return _page(page, more)
        params.update({f"s{i}": thread_id for i, thread_id in enumerate(ranked)})
        where.append(f'AND t."id" IN ({", ".join(f":s{i}" for i in range(len(ranked))) or "NULL"})')
    if filters.feedback is not None:
        params["feedback"] = int(filters.feedback)
        where.append('AND EXISTS (SELECT 1 FROM feedbacks f2 WHERE f2."threadId" = t."id" AND f2."value" = :feedback)')
    threads = await load_threads(layer, " ".join(where), params, with_steps=False)
    start = 0
    if pagination.cursor:
        start = next((i + 1 for i, t in enumerate(threads) if t["id"] == pagination.cursor), 0)
    return _page(threads[start : start + pagination.first], len(threads) > start + pagination.first)


async def favorite_steps(layer: FoundryDataLayer, user_id: str) -> list[dict[str, Any]]:
    """The user's steps marked favorite, newest first."""
    found = await layer.execute_sql(
        f"""{rows.STEP_SELECT} JOIN threads t ON s."threadId" = t."id"
        WHERE t."userId" = :user_id AND CAST(s."metadata" AS TEXT) LIKE :pattern ORDER BY s."createdAt" DESC""",
        {"user_id": user_id, "pattern": '%"favorite": true%'},
    )
    steps = [rows.step_from_row(r) for r in found or []]
    return [s for s in steps if s["metadata"].get("favorite")]
