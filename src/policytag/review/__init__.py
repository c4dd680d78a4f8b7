"""The review loop: pick the paragraphs to label next, hand them to a labelling tool, and
measure how far two annotators agree."""
