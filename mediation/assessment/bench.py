"""`bench_assess`: time and memory of inspecting and assessing a batch of photos, for capacity notes."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from nlp.brief import parse_brief

from .run import assess


def bench_assess(n: int = 100, size: tuple[int, int] = (1080, 1080), sandboxed: bool = True) -> dict:
    """Time and memory for inspecting and assessing `n` JPEG photos of `size` (for capacity notes).

    Peak Python memory comes from tracemalloc; `rss_peak_mb` is the process high-water mark,
    which includes Pillow's decode buffers and everything loaded before the call. `sandboxed`
    reads the files in workers as the bot does (`inspect_s` then includes starting a worker,
    `inspect_warm_s` is a second run on the started one); without it they are read in-process.
    """
    import resource
    import tempfile
    import tracemalloc

    from PIL import Image, ImageDraw

    from mediation.inspection import inspect_paths as inspect_here
    from mediation.sandbox import inspect_paths as inspect_sandboxed

    brief = parse_brief(f"{n} product photos, square {size[0]}x{size[1]} JPG. Natural light. Delivery within 1 week.")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            img = Image.new("RGB", size, (200, 180 - i % 50, 160))
            draw = ImageDraw.Draw(img)
            for j in range(12):
                x, y = (i * 37 + j * 131) % size[0], (i * 53 + j * 97) % size[1]
                draw.ellipse([x, y, x + size[0] // 3, y + size[1] // 3], fill=((40 * j + i) % 255, 90, 200 - 10 * j))
            noise = Image.effect_noise(size, 40).convert("RGB")  # photo-like grain and file size
            img = Image.blend(img, noise, 0.25)
            img.save(os.path.join(tmp, f"photo{i:03d}.jpg"), quality=90)
        total_bytes = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        inspect_paths = inspect_sandboxed if sandboxed else inspect_here
        tracemalloc.start()
        t0 = time.perf_counter()
        facts = inspect_paths([tmp])
        first = time.perf_counter() - t0
        inspect_paths([tmp])
        t1 = time.perf_counter()
        warm = t1 - t0 - first
        result = assess(
            brief,
            facts,
            delivered_at=datetime(2024, 3, 5, tzinfo=UTC),
            agreed_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
        t2 = time.perf_counter()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "files": n,
        "size": f"{size[0]}x{size[1]}",
        "total_mb": round(total_bytes / 2**20, 1),
        "sandboxed": sandboxed,
        "inspect_s": round(first, 3),
        "inspect_warm_s": round(warm, 3),
        "assess_s": round(t2 - t1, 4),
        "per_file_ms": round(warm * 1000 / n, 2),
        "python_peak_mb": round(peak / 2**20, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "coverage": result.coverage,
    }
