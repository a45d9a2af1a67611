"""Draw the benchmark's throughput figures as a PNG bar chart."""

from __future__ import annotations

from pathlib import Path

__all__ = ["draw"]


def draw(figures: dict, out: Path) -> None:
    """Bars of req/s per endpoint, one colour per server."""
    import matplotlib

    matplotlib.use("Agg")  # no display on CI machines
    import matplotlib.pyplot as plt

    servers = list(figures["servers"])
    endpoints = list(figures["endpoints"])
    width = 0.8 / len(servers)
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for i, server in enumerate(servers):
        values = [figures["servers"][server][e]["rps"] for e in endpoints]
        positions = [j + (i - (len(servers) - 1) / 2) * width for j in range(len(endpoints))]
        bars = ax.bar(positions, values, width, label=server)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(range(len(endpoints)), endpoints)
    ax.set_ylabel("requests per second")
    ax.set_title(f"Throughput, {figures['connections']} connections, loopback, one run")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
