"""The top: the app assembled from the API and every screen, the `okienko` command line, and the
server log. The only package that imports every front-end."""
