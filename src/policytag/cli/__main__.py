from policytag.cli import app

app()
