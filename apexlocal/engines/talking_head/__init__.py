"""Talking heads: a face in a picture or a video made to speak a sound track (lip-sync), the
`talking-head` engine of avatar jobs, and `render_talking_head` for the engines that put a speaking
face into their own videos. See render.py and engine.py."""
