"""`fleetmix catalog ...`: list accelerators and offerings, import a SkyPilot catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetmix import catalog as catalog_lib
from fleetmix.catalog.records import PRICE_TIERS
from fleetmix.cli._common import (
    AcceleratorsOpt,
    JsonOpt,
    OfferingsOpt,
    _catalog,
    _print_json,
    out,
    user_errors,
)
from fleetmix.errors import InputError
from fleetmix.report import tables

catalog_app = typer.Typer(no_args_is_help=True, help="Accelerators and offerings.")


@catalog_app.command("accelerators")
@user_errors
def catalog_accelerators(
    vendor: Annotated[str | None, typer.Option(help="Only this vendor.")] = None,
    accelerators: AcceleratorsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every chip of every vendor: dense peaks, memory, scale-up, power, with sources."""
    cat = _catalog(None, accelerators)
    accs = [a for a in cat.accelerators.values() if vendor is None or a.vendor == vendor]
    if vendor is not None and not accs:
        raise InputError(f"--vendor {vendor!r}: expected one of {', '.join(cat.vendors())}")
    if as_json:
        _print_json([catalog_lib.accelerator_to_dict(a) for a in accs])
    else:
        out.print(tables.accelerators_table(accs))


@catalog_app.command("offerings")
@user_errors
def catalog_offerings(
    vendor: Annotated[str | None, typer.Option(help="Only this accelerator vendor.")] = None,
    cloud: Annotated[str | None, typer.Option(help="Only this cloud.")] = None,
    accelerator: Annotated[str | None, typer.Option(help="Only this accelerator.")] = None,
    offerings: OfferingsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How to buy each chip: cloud, region, instance, price tiers, as-of date and source."""
    cat = _catalog(offerings, None)
    if vendor is not None and vendor not in cat.vendors():
        raise InputError(f"--vendor {vendor!r}: expected one of {', '.join(cat.vendors())}")
    acc_id = cat.accelerator(accelerator).id if accelerator else None
    rows = [o for o in cat.offerings
            if (vendor is None or cat.accelerators[o.accelerator].vendor == vendor)
            and (cloud is None or o.cloud == cloud)
            and (acc_id is None or o.accelerator == acc_id)]
    if as_json:
        _print_json([catalog_lib.offering_to_dict(o) for o in rows])
    else:
        out.print(tables.offerings_table(rows, PRICE_TIERS))


@catalog_app.command("import-skypilot")
@user_errors
def catalog_import_skypilot(
    vms_csv: Annotated[Path, typer.Argument(help="A SkyPilot catalog vms.csv.")],
    out_path: Annotated[Path, typer.Option("--out", help="Offerings CSV to write.")] = Path(
        "offerings.csv"),
    cloud: Annotated[str | None, typer.Option(help="Cloud name, if not in the path.")] = None,
) -> None:
    """Convert a SkyPilot-format catalog into a fleetmix offerings file (written atomically)."""
    offerings, skipped = catalog_lib.read_skypilot_vms(vms_csv, cloud=cloud)
    catalog_lib.write_offerings_csv(offerings, out_path)
    out.print(f"wrote {len(offerings)} offerings to {out_path}; skipped {len(skipped)} rows")
    for reason in skipped[:20]:
        out.print(f"  skipped: {reason}", highlight=False)
    if len(skipped) > 20:
        out.print(f"  ... and {len(skipped) - 20} more")
