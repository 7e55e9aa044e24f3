"""Built-in templates (内置模板): the .docx files built by ``generator.build_templates`` and their manifests."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent
