"""The clerk console: sign in, take a window, call the next visitor, serve, transfer."""
