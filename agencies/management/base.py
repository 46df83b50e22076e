from django.core.management.base import BaseCommand


class TranslatedHelpCommand(BaseCommand):
    """A command whose `help` is a lazy translation. argparse runs a regex over the description,
    which fails on a lazy string (`--help` raised TypeError): translate it when the parser is built.
    Every project command derives from this (agencies is the app every other one may import)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
