"""Reading /metrics as Prometheus does: the text format, parsed by prometheus_client's parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape: (sample name, sorted labels) -> value. Fails on a malformed body."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(scrape: dict, name: str, **labels) -> float:
    """One sample's value (0 when it is not there yet: a counter never incremented)."""
    return scrape.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)


def scrape(client, **extra) -> dict:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())
