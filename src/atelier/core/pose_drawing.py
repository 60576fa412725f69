"""The OpenPose body skeleton that pose ControlNets were trained on, drawn from body keypoints:
coloured limbs and joints on black.

Pose estimators (DWPose's RTMPose, mmpose) give the 17 COCO body keypoints; OpenPose's body
has 18, with a neck (the midpoint of the shoulders) and its own order. The ControlNets read the
skeleton by its colours, one per joint and per limb, so those and the limbs drawn are
OpenPose's: each limb an ellipse 4 pixels thick at 60% of its colour, each joint a dot of radius
4 in full colour, drawn over the limbs. A keypoint the estimator is less sure of than
``CONFIDENCE`` is left out, and every limb that touches it.
"""

import numpy as np
from PIL import Image, ImageDraw

# COCO's body keypoints, in the order estimators give them.
COCO_BODY = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle")
# OpenPose's 18 body keypoints (its COCO model), in its order: the index of each colour below.
OPENPOSE_BODY = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
                 "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
                 "right_eye", "left_eye", "right_ear", "left_ear")
# The limbs drawn, as pairs of OpenPose indices; limb i has colour i.
LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
         (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
# OpenPose's colours (RGB), one per keypoint: the hue turns from red through green and blue to magenta.
COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
           (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
           (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))
CONFIDENCE = 0.3
LIMB_HALF_WIDTH = 4
LIMB_SHADE = 0.6
JOINT_RADIUS = 4
_ELLIPSE_POINTS = 36


def openpose_body(points, scores) -> tuple[np.ndarray, np.ndarray]:
    """The 18 OpenPose body keypoints ((18, 2) x, y in pixels) and their scores ((18,)) from
    the 17 COCO ones (``points`` (17, 2), ``scores`` (17,)). The neck is the midpoint of the
    shoulders, as sure as the less sure of them."""
    points = np.asarray(points, np.float64).reshape(len(COCO_BODY), 2)
    scores = np.asarray(scores, np.float64).reshape(len(COCO_BODY))
    shoulders = [COCO_BODY.index("left_shoulder"), COCO_BODY.index("right_shoulder")]
    body_points, body_scores = np.zeros((len(OPENPOSE_BODY), 2)), np.zeros(len(OPENPOSE_BODY))
    for index, name in enumerate(OPENPOSE_BODY):
        if name == "neck":
            body_points[index] = points[shoulders].mean(axis=0)
            body_scores[index] = scores[shoulders].min()
        else:
            body_points[index] = points[COCO_BODY.index(name)]
            body_scores[index] = scores[COCO_BODY.index(name)]
    return body_points, body_scores


def draw_pose(points, scores, size: tuple[int, int], threshold: float = CONFIDENCE) -> Image.Image:
    """The OpenPose skeleton of the 18 body keypoints ``points`` ((18, 2) x, y in pixels) with
    ``scores`` ((18,)) on a black RGB picture of ``size`` (width, height); keypoints scored
    under ``threshold`` are left out, with their limbs."""
    canvas = Image.new("RGB", size)
    draw = ImageDraw.Draw(canvas)
    points = np.asarray(points, np.float64)
    seen = np.asarray(scores, np.float64) >= threshold
    for colour, (start, end) in zip(COLOURS, LIMBS):
        if seen[start] and seen[end]:
            shade = tuple(int(channel * LIMB_SHADE) for channel in colour)
            draw.polygon(_limb_outline(points[start], points[end]), fill=shade)
    for colour, point, shown in zip(COLOURS, points, seen):
        if shown:
            x, y = point
            draw.ellipse((x - JOINT_RADIUS, y - JOINT_RADIUS, x + JOINT_RADIUS, y + JOINT_RADIUS), fill=colour)
    return canvas


def _limb_outline(start: np.ndarray, end: np.ndarray) -> list[tuple[float, float]]:
    """The outline of the ellipse from ``start`` to ``end``, LIMB_HALF_WIDTH across each side."""
    centre = (start + end) / 2
    half_length = float(np.hypot(*(end - start))) / 2
    angle = float(np.arctan2(end[1] - start[1], end[0] - start[0]))
    turns = np.linspace(0, 2 * np.pi, _ELLIPSE_POINTS, endpoint=False)
    along, across = half_length * np.cos(turns), LIMB_HALF_WIDTH * np.sin(turns)
    xs = centre[0] + along * np.cos(angle) - across * np.sin(angle)
    ys = centre[1] + along * np.sin(angle) + across * np.cos(angle)
    return list(zip(xs.tolist(), ys.tolist()))
