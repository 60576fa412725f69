"""``atelier generate --init-image IMG --mask MASK`` (repaint where the mask is white) and
``--init-image IMG --outpaint L,T,R,B`` (extend the picture and fill the new area): both are
the inpaint task, with the picture and its mask stored as the job's inputs by hash."""

import hashlib
import sys
from pathlib import Path

from ..core.errors import RequestError
from ..core.limits import MAX_SIDE

# The options that only generative fill takes (argparse name: the option as typed).
FILL_OPTIONS = {"fill_mode": "--fill-mode", "grow": "--grow", "feather": "--feather", "blend": "--blend",
                "padding": "--padding", "colour_match": "--no-colour-match", "generation_side": "--generation-side"}


def fill_request(args, info, inputs: dict[str, bytes]):
    """The inpaint request for ``args``; the picture and the mask are added to ``inputs``.
    RequestError, in one line, for what cannot be done, before any model is loaded."""
    from ..core.inpaint import repainted
    from ..core.project_io import asset_name
    from ..core.tasks import InpaintRequest
    from ..engine.loader import require_inpainting
    from . import _init_image

    require_inpainting(info)
    if args.init_image is None:
        option = "--mask" if args.mask is not None else "--outpaint"
        raise RequestError(f"{option}: needs the picture to paint in; add --init-image FILE")
    if args.mask is not None and args.outpaint is not None:
        raise RequestError("--mask and --outpaint: choose one (--outpaint makes its own mask)")
    if args.size is not None:
        raise RequestError("--size: generative fill keeps the picture's size (use --outpaint to extend it)")
    if args.outpaint is not None and args.fill_mode == "replace":
        raise RequestError("--fill-mode replace: keeps the subject a --mask marks; --outpaint has none "
                           "(leave --fill-mode out, or use --mask)")
    init = _init_image(args.init_image, keep_alpha=True)
    if args.outpaint is not None:
        picture, mask, fill_mode = _outpainted(init, args.outpaint)
    else:
        picture, mask, fill_mode = init.png, _mask(args.mask), "fill"
    height, width = mask.raster.shape if args.outpaint is not None else (init.height, init.width)
    names = {}
    for role, data in (("init_image", picture), ("mask", mask.png)):
        names[role] = asset_name(hashlib.sha256(data).hexdigest(), "png")
        inputs[names[role]] = data
    given = {name: getattr(args, name) for name in ("steps", "guidance", "strength", *FILL_OPTIONS)
             if name != "fill_mode" and getattr(args, name) is not None}
    fill_mode = args.fill_mode or fill_mode
    repainted(mask.raster, fill_mode)  # nothing to repaint: said now, before the model loads
    return InpaintRequest(prompt=args.prompt, negative_prompt=args.negative, seed=args.seed, scheduler=args.scheduler,
                          batch_size=args.batch, width=width, height=height, fill_mode=fill_mode, **names, **given)


def _mask(path: Path):
    from ..core.mask_file import prepare_mask
    from . import _printable

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(f"--mask {path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    mask = prepare_mask(data, path.name)
    for note in mask.notes:
        print(f"atelier: note: --mask {_printable(path.name)}: {note}", file=sys.stderr)
    return mask


def _outpainted(init, sides: tuple[int, int, int, int]):
    """(the picture extended by ``sides``, its new area pre-filled from the edge; the mask of
    the new area; the fill mode that continues the edge)."""
    from ..core.extension import extended_picture

    left, top, right, bottom = sides
    width, height = init.width + left + right, init.height + top + bottom
    if max(width, height) > MAX_SIDE:  # said here in the options' own words
        raise RequestError(f"--outpaint {left},{top},{right},{bottom}: the picture would be {width}x{height}, "
                           f"past the largest side ({MAX_SIDE}); add fewer pixels")
    made = extended_picture(init.png, sides)
    return made.png, made.mask, "expand"
