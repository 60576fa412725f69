"""The OpenPose body skeleton drawn from COCO keypoints: the neck made from the shoulders, each
joint a dot of its OpenPose colour, limbs at 60% of theirs, on black, and nothing drawn for a
keypoint under the confidence threshold."""

import numpy as np

from atelier.core.pose_drawing import COCO_BODY, COLOURS, OPENPOSE_BODY, draw_pose, openpose_body

# A standing figure in a 200 x 300 picture, COCO order (their left on our right).
PLACES = {"nose": (100, 40), "left_eye": (110, 30), "right_eye": (90, 30), "left_ear": (122, 36),
          "right_ear": (78, 36), "left_shoulder": (140, 80), "right_shoulder": (60, 80), "left_elbow": (160, 130),
          "right_elbow": (40, 130), "left_wrist": (170, 180), "right_wrist": (30, 180), "left_hip": (125, 170),
          "right_hip": (75, 170), "left_knee": (128, 230), "right_knee": (72, 230), "left_ankle": (130, 285),
          "right_ankle": (70, 285)}


def figure(unsure=()):
    points = np.array([PLACES[name] for name in COCO_BODY], float)
    scores = np.array([0.1 if name in unsure else 0.9 for name in COCO_BODY])
    return points, scores


def pixel(picture, name):
    x, y = PLACES[name] if name != "neck" else (100, 80)
    return tuple(int(v) for v in np.asarray(picture)[y, x])


def test_coco_keypoints_become_openpose_ones_with_a_neck():
    points, scores = figure(unsure=("left_shoulder",))
    body, sure = openpose_body(points, scores)
    assert body.shape == (18, 2) and sure.shape == (18,)
    assert tuple(body[OPENPOSE_BODY.index("neck")]) == (100, 80)  # between the shoulders
    assert sure[OPENPOSE_BODY.index("neck")] == 0.1  # as sure as the less sure shoulder
    assert tuple(body[OPENPOSE_BODY.index("right_wrist")]) == PLACES["right_wrist"]
    assert tuple(body[OPENPOSE_BODY.index("left_ear")]) == PLACES["left_ear"]


def test_each_joint_has_its_openpose_colour_on_black():
    picture = draw_pose(*openpose_body(*figure()), (200, 300))
    assert picture.mode == "RGB" and picture.size == (200, 300)
    for name in ("nose", "neck", "right_shoulder", "left_wrist", "right_knee", "left_ankle", "right_ear"):
        assert pixel(picture, name) == COLOURS[OPENPOSE_BODY.index(name)], name
    assert pixel(picture, "nose") == (255, 0, 0) and pixel(picture, "neck") == (255, 85, 0)
    pixels = np.asarray(picture)
    assert pixels[5, 5].tolist() == [0, 0, 0] and pixels[295, 195].tolist() == [0, 0, 0]
    # The forearm, right elbow to right wrist (limb 3), between its joints: 60% of its colour.
    assert tuple(int(v) for v in pixels[155, 35]) == tuple(int(c * 0.6) for c in COLOURS[3])


def test_unsure_keypoints_and_their_limbs_are_left_out():
    picture = draw_pose(*openpose_body(*figure(unsure=("right_elbow", "left_knee"))), (200, 300))
    pixels = np.asarray(picture)
    assert pixel(picture, "right_elbow") == (0, 0, 0) and pixel(picture, "left_knee") == (0, 0, 0)
    assert pixels[155, 35].tolist() == [0, 0, 0]  # no forearm without its elbow
    assert pixels[105, 50].tolist() == [0, 0, 0]  # nor an upper arm
    assert pixel(picture, "right_wrist") == COLOURS[OPENPOSE_BODY.index("right_wrist")]  # sure: still drawn
    nothing = draw_pose(*openpose_body(*figure(unsure=COCO_BODY)), (200, 300))
    assert not np.asarray(nothing).any()
