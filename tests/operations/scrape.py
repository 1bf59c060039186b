"""Reading /metrics as Prometheus would, and the difference a test's actions made."""

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client) -> Counter:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def parse(exposition: str) -> Counter:
    samples = Counter()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def added(before: Counter, after: Counter, name: str, **labels) -> float:
    """How much the samples called `name` whose labels include `labels` grew between two scrapes."""
    def total(samples):
        return sum(value for (found, found_labels), value in samples.items()
                   if found == name and set(labels.items()) <= set(found_labels))
    return total(after) - total(before)


def value(samples: Counter, name: str, **labels) -> float:
    return sum(found_value for (found, found_labels), found_value in samples.items()
               if found == name and set(labels.items()) <= set(found_labels))
