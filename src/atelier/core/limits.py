"""The numbers requests are held to, and the presets the window offers, without the request
types themselves: the window needs these to draw its form, and importing the request types
(core/tasks, a few dozen dataclasses) costs its start about 10 ms."""

MAX_SIDE = 4096
MAX_STEPS = 500
MAX_BATCH = 64
MAX_SEED = 2**32 - 1
MAX_SECONDS = 600.0  # ten minutes: the longest sound any task makes
# Variations redraw an image with new seeds at these strengths (what artists know from Fooocus).
VARIATION_STRENGTHS = {"subtle": 0.5, "strong": 0.85}
# What generative fill starts the painted area from (see tasks.InpaintRequest); in "replace" the
# mask marks the subject to keep and everything else is repainted.
FILL_MODES = ("fill", "expand", "add", "remove", "replace")
# Upscaling: the longest side an upscaled picture may have (its tiles are blended in memory:
# 8192 x 8192 takes about 1 GB), and the scales offered.
MAX_UPSCALED_SIDE = 8192
UPSCALE_FACTORS = (2, 4)
MAX_UPSCALE = 8  # upscalers come in 1x to 8x
# What a picture with its background removed is put on.
BACKGROUNDS = ("transparent", "colour", "blur")
# How the subject's edge is tidied after the model: not at all, by a guided filter that follows
# the picture's own edges, or by eroding the matte a little (no halo of the old background).
EDGE_REFINEMENTS = ("none", "guided", "erode")
# LoRAs, ControlNets or reference images one request may use, each.
MAX_ADAPTERS = 8
# What the engine makes of a control image before the ControlNet sees it: nothing (a sketch, a
# depth map, a pose drawn elsewhere), edges (Canny), line art (a difference of Gaussians), or a
# depth map or pose map made by the artist's depth or pose model (ControlUse.detector).
CONTROL_PREPROCESSORS = ("none", "canny", "lineart", "depth", "pose")
# The preprocesses made by a model of the artist's, named as ControlUse.detector: each is also
# the kind (models/kinds.py) that model is listed as.
DETECTED_PREPROCESSORS = ("depth", "pose")
