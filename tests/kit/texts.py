"""The words the tests share: the founding story's brief and the client's later wish, as people wrote them."""

from __future__ import annotations

# the photographer's brief: 8 product pictures for $88, 2 samples first
SOAP_BRIEF = (
    "Looking for a photographer for 8 product pictures of my handmade soaps for our Instagram feed. "
    "Flat lay or plain surface, natural light, square 1080x1080 JPG. You send 2 samples first for my "
    "approval, then the remaining 6. Budget $88, delivery within 1 week."
)

# after delivery the client wants a different shoot: beyond the brief (an attribute change)
CREEP = (
    "Hi, I got all 8, they are ok but honestly I wanted pictures with people in them. Like a model "
    "holding the soap, outside somewhere pretty, maybe a garden or beach. Can you redo them like that?"
)

# the first bytes of a JPEG: enough for a file to be taken as one, without being a picture
JPEG_STUB = b"\xff\xd8\xff\xe0" + b"\x00JFIF" + b"0" * 200
