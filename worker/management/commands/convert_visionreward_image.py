"""``manage.py convert_visionreward_image SRC DST --code CODE [--tokenizer TOK] [--dtype bfloat16]``:
VisionReward-Image's SwissArmyTransformer checkpoint as a folder the CogVLM guesser loads
(``worker/prefill/guessers/cogvlm_sat.py`` has the format and the renaming)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from worker.prefill.guessers.cogvlm_sat import ConversionError, convert_sat_cogvlm


class Command(BaseCommand):
    help = (
        "Convert VisionReward-Image (CogVLM2 in SwissArmyTransformer format: model_config.json, latest, "
        "<iteration>/mp_rank_00_model_states.pt) into a Hugging Face folder for a model spec. --code is a "
        "CogVLM2 Hugging Face repository's folder (its *.py and config.json are copied; e.g. "
        "THUDM/cogvlm2-llama3-chat-19B); --tokenizer the Llama-3 tokenizer's folder (default: --code)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="the SAT checkpoint folder (holds model_config.json)")
        parser.add_argument("destination", help="the folder to write (absent or empty)")
        parser.add_argument("--code", required=True, help="a CogVLM2 Hugging Face repository's folder")
        parser.add_argument("--tokenizer", help="where the tokenizer files are (default: --code)")
        parser.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], help="cast the weights")

    def handle(self, *args, **options):
        try:
            report = convert_sat_cogvlm(
                options["source"],
                options["destination"],
                code=options["code"],
                tokenizer=options.get("tokenizer"),
                dtype=options.get("dtype"),
                log=lambda message: self.stdout.write(message),
            )
        except ConversionError as exc:
            raise CommandError(str(exc)) from exc
        dropped = f"; left out (no counterpart): {', '.join(report.dropped)}" if report.dropped else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"converted {report.tensors} tensors ({report.parameters:,} parameters) into {report.destination}"
                f" with code {', '.join(report.code_files)}{dropped}. Register it as a model with its folder as "
                "source and trust_remote_code allowed (it runs the copied code)."
            )
        )
