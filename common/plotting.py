"""The one figure style of the suite: matplotlib with mathtext (no LaTeX installation), PDF + PNG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"text.usetex": False, "font.size": 11, "axes.grid": True, "grid.alpha": 0.3,
                     "legend.fontsize": 9, "figure.dpi": 100, "savefig.bbox": "tight"})

TITLE_NAME = {"ReLU": "ReLU-net", "Erf": "Erf-net", "GaussNet": "Gauss-net"}


def figure(ncols=1, nrows=1, size=(6.0, 4.2)):
    """A figure with a grid of axes of the suite's size."""
    return plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)


def save(fig, stem):
    """Write stem.pdf and stem.png (small, for the README); returns the two paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    for path in paths:
        fig.savefig(path, dpi=90)
    plt.close(fig)
    return paths
