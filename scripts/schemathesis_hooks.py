"""Hooks of scripts/schemathesis: constraints between parameters, which
OpenAPI cannot express, applied to the generated requests."""

import schemathesis


def _window_in_order(query):
    """A trend window's `from` must not be after its `to` (else 422)."""
    if query and isinstance(query.get("from"), str) and isinstance(query.get("to"), str):
        if query["from"] > query["to"]:
            query["from"], query["to"] = query["to"], query["from"]
    return query


@schemathesis.hook("map_query").apply_to(path="/v1/horses/{horse_id}/trends")
def window_in_order(ctx, query):
    """The trend document's window."""
    return _window_in_order(query)


@schemathesis.hook("map_query").apply_to(path="/v1/horses/{horse_id}/trends/chart.svg")
def chart_window_in_order(ctx, query):
    """The trend chart takes the same window (and the same 422)."""
    return _window_in_order(query)
