"""Agreements (无锡 第七条): every booking the worker says yes to has the agreement they accepted.

When the worker books (confirmed or pending) or accepts an offer, an agreement is made from the
job's employment type and the facts at that moment — the parties, the work, the place, the
shift's times in the city's wall-clock time, the wage, and what the law asks of that type:

- ``part_time`` → 非全日制用工协议 (劳动合同法 第六十八条至第七十二条): the hours limit, the hourly
  wage, a payment cycle of at most 15 days. It may be oral by law; here it is written anyway.
- ``full_time`` → 劳动合同 (electronic): the employer's name and credit code, the wage, the place,
  the term.
- ``dispatch`` → 劳务派遣协议: the dispatching broker named, with its 劳务派遣经营许可证.
- ``outsourcing`` → 劳务协议: a civil agreement naming the parties, their rights and duties.

The text is Chinese data, not a message of the catalogue: it is what the worker accepted and is
never translated or rebuilt. Later edits of the job change nothing in it; its SHA-256 is in the
audit event ``agreement.accepted``. The worker's ID number appears only masked (first 4 and
last 2, as every reader but its holder sees it), so reading an agreement reveals nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, select, type_coerce, update

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access
from marketplace.bookings.models import AGREEMENT_KINDS, Agreement, Booking
from marketplace.bookings.part_time import WEEKLY_HOURS
from marketplace.brokers.models import Broker
from marketplace.cities import catalogue
from marketplace.common.guards import official_of_city
from marketplace.database import personal_cipher
from marketplace.employers.models import Employer
from marketplace.errors import Conflict, DomainError
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs.cover import covered
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker

CHINESE_NUMERALS = "一二三四五六七八九十"


class NoAgreement(DomainError):
    """404: the booking exists and the caller may see it, but it has no agreement."""

    status = 404


def _when(instant: datetime, city: str) -> str:
    """An instant as the city's people read it, with its year: ``2027年03月01日 08:00``."""
    zone = catalogue.find(city)
    year = clock.local_date(instant, zone.timezone if zone else clock.DEFAULT_TIMEZONE).year
    return f"{year}年{catalogue.wall_clock(instant, city)}"


def _hours_text(hours: Decimal) -> str:
    return format(hours.quantize(Decimal("0.01")).normalize(), "f")


def _parties(booking: Booking, broker: Broker | None) -> dict[str, Any]:
    """The parties as they stand now, read in one look-up (the worker's name is not loaded
    on the booking path, nor the employer)."""
    row = db.session.execute(
        select(
            Worker.name.label("worker_name"),
            Worker.id_number_masked,
            Employer.name.label("employer_name"),
            Employer.credit_code,
        )
        .join(Employer, Employer.id == booking.employer_id)
        .where(Worker.id == booking.worker_id)
    ).one()
    return {
        "worker": {
            "id": booking.worker_id,
            "name": row.worker_name,
            "id_number": row.id_number_masked,
        },
        "employer": {
            "id": booking.employer_id,
            "name": row.employer_name,
            "credit_code": row.credit_code,
        },
        "broker": (
            None
            if broker is None
            else {"id": broker.id, "name": broker.name, "licence_number": broker.licence_number}
        ),
    }


def _dispatcher(job: Job) -> Broker:
    """The licensed broker that dispatches a ``dispatch`` job's workers (409 if there is none
    now: a job posted before the rule, or a broker that has since dropped its licence)."""
    broker = db.session.get(Broker, job.broker_id) if job.broker_id is not None else None
    if broker is None or not broker.licence_number:
        raise Conflict(
            "this dispatch job has no licensed labour-dispatch broker, so no agreement can be "
            "made: it cannot be booked"
        )
    return broker


def _work_section(job: Job, shift: Shift) -> list[str]:
    place = catalogue.find(job.city)
    city_name = place.name if place else job.city
    # The address as posted, led by the city and district when it does not name them.
    prefix = ""
    if not job.address.startswith(city_name):
        district = job.district if job.district and job.district not in job.address else ""
        prefix = f"{city_name}{district}"
    where = f"{prefix}{job.address}"
    return [
        f"工作岗位：{job.title}（{job.category}）",
        f"工作地点：{where}",
        f"工作时间：{_when(shift.starts_at, job.city)} 至 {_when(shift.ends_at, job.city)}"
        f"（{city_name}当地时间），共 {_hours_text(shift.hours)} 小时",
    ]


def _pay_section(job: Job) -> list[str]:
    wage = f"人民币 {job.hourly_wage:.2f} 元/小时"
    if job.employment_type == "part_time":
        return [
            f"小时工资：{wage}，"
            "不低于当地人民政府规定的最低小时工资标准（劳动合同法 第七十二条）。",
            "劳动报酬结算支付周期最长不得超过十五日（劳动合同法 第七十二条）。",
        ]
    if job.employment_type == "outsourcing":
        return [
            f"劳务报酬：{wage}，按实际工作时长结算。",
            "劳务报酬至迟于工作所在月份的次月末前足额支付。",
        ]
    payer = "劳务派遣单位" if job.employment_type == "dispatch" else "甲方"
    return [
        f"小时工资：{wage}，不低于当地人民政府规定的最低工资标准。",
        f"工资由{payer}以货币形式按时足额支付，至迟于工作所在月份的次月末前支付。",
    ]


def _terms_section(job: Job, shift: Shift, broker: Broker | None) -> tuple[str, list[str]]:
    """The section the law asks of the employment type: its heading and its clauses."""
    kind = job.employment_type
    if kind == "part_time":
        return "工作时间限制与用工终止", [
            f"乙方在甲方处平均每日工作时间不超过四小时，每周工作时间累计不超过 {WEEKLY_HOURS} 小时"
            "（劳动合同法 第六十八条）。",
            "双方当事人任何一方都可以随时通知对方终止用工；终止用工，甲方不向乙方支付经济补偿"
            "（劳动合同法 第七十一条）。",
            "非全日制用工双方当事人可以订立口头协议（劳动合同法 第六十九条），"
            "本协议以书面形式订立。",
        ]
    if kind == "full_time":
        return "合同期限与劳动保护", [
            "本合同为以完成一定工作任务为期限的劳动合同（劳动合同法 第十二条、第十五条），"
            f"自 {_when(shift.starts_at, job.city)} 起，至本班次工作任务完成时终止。",
            "甲方依法为乙方缴纳社会保险，提供符合国家规定的劳动安全卫生条件和必要的劳动防护用品。",
            "本合同为电子劳动合同，与书面劳动合同具有同等效力。",
        ]
    if kind == "dispatch":
        assert broker is not None  # a dispatch job's agreement always names its dispatcher
        return "劳务派遣", [
            f"乙方由劳务派遣单位{broker.name}（劳务派遣经营许可证编号：{broker.licence_number}）"
            "派遣至甲方从事上述工作（劳动合同法 第五十七条至第六十二条）。",
            "甲方作为用工单位，执行国家劳动标准，提供相应的劳动条件和劳动保护"
            "（劳动合同法 第六十二条）。",
            "乙方享有与甲方同类岗位劳动者同工同酬的权利（劳动合同法 第六十三条）。",
        ]
    return "双方的权利和义务", [
        "甲方按约定的标准和期限足额支付劳务报酬，如实告知工作内容、地点和可能存在的风险，"
        "提供完成工作所需的安全条件和必要的防护用品。",
        "乙方按约定的时间、地点和要求亲自完成工作，遵守甲方的安全管理规定，"
        "有权拒绝违章指挥和强令冒险作业。",
        "任何一方不得向对方收取押金、保证金、培训费或者其他费用。",
        "本协议为民事协议（无锡 第七条），双方之间不建立劳动关系。",
    ]


def _cover_section(job: Job, shift: Shift) -> list[str]:
    cover = job.injury_cover
    if cover is None:
        return ["甲方未声明本工作的职业伤害保障。"]
    inside = covered(job.injury_valid_to, shift.starts_at, job.city)
    return [
        f"承保机构：{cover['insurer']}；保单号：{cover['policy_number']}；"
        f"保障期限至 {cover['valid_to'].isoformat()}。",
        "本班次在保障期限内。" if inside else "本班次不在保障期限内。",
    ]


def compose(
    number: str,
    job: Job,
    shift: Shift,
    parties: dict[str, Any],
    broker: Broker | None,
    accepted_at: datetime,
) -> str:
    """The agreement's Chinese text from the facts at acceptance (nothing is read later)."""
    worker, employer = parties["worker"], parties["employer"]
    heading = [
        AGREEMENT_KINDS[job.employment_type],
        f"协议编号：{number}",
        "",
        f"甲方（用工单位）：{employer['name']}",
        f"统一社会信用代码：{employer['credit_code']}",
    ]
    if broker is not None:
        heading.append(
            f"劳务派遣单位：{broker.name}（劳务派遣经营许可证编号：{broker.licence_number}）"
        )
    heading += [
        f"乙方（劳动者）：{worker['name']}",
        f"居民身份证号码：{worker['id_number']}",
    ]
    terms_title, terms = _terms_section(job, shift, broker)
    sections = [
        ("工作内容与地点", _work_section(job, shift)),
        ("劳动报酬" if job.employment_type != "outsourcing" else "劳务报酬", _pay_section(job)),
        (terms_title, terms),
        ("职业伤害保障", _cover_section(job, shift)),
        (
            "争议处理",
            ["双方发生争议的，可以通过平台申诉协商解决，也可以依法申请调解、仲裁或者提起诉讼。"],
        ),
        (
            "协议的订立",
            [
                f"乙方于 {_when(accepted_at, job.city)} 在平台上确认接受本协议，"
                "本协议自接受时成立。",
                "本协议内容以接受时的记录为准，此后岗位信息的修改不改变本协议。",
            ],
        ),
    ]
    lines = heading
    for index, (title, clauses) in enumerate(sections):
        lines += ["", f"{CHINESE_NUMERALS[index]}、{title}", *clauses]
    return "\n".join(lines) + "\n"


def make(booking: Booking, actor: User) -> audit.Entry:
    """Make the agreement of a booking its worker has just said yes to; answers its audit event
    (``agreement.accepted``), for the caller to append with the booking's own.

    Called in the transaction that books or accepts; 409 for a dispatch job without a licensed
    dispatcher (the booking is then refused with it).
    """
    shift = db.session.get(Shift, booking.shift_id)
    assert shift is not None
    job = shift.job
    broker = _dispatcher(job) if job.employment_type == "dispatch" else None
    accepted_at = clock.now()
    parties = _parties(booking, broker)
    # The booking's id, and a random part that keeps the text's digest from being matched
    # against guessed names.
    number = f"LG{booking.id:08d}-{secrets.token_hex(8).upper()}"
    text = compose(number, job, shift, parties, broker, accepted_at)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    agreement = Agreement(
        booking_id=booking.id,
        kind=job.employment_type,
        text=text,
        sha256=digest,
        accepted_at=accepted_at,
        parties_sealed=json.dumps(parties, ensure_ascii=False),
    )
    db.session.add(agreement)
    db.session.flush()
    return audit.Entry(
        "agreement.accepted",
        "agreement",
        agreement.id,
        {
            "booking_id": booking.id,
            "kind": agreement.kind,
            "sha256": digest,
            "worker_id": booking.worker_id,
            "employer_id": booking.employer_id,
            "broker_id": broker.id if broker else None,
        },
        actor_id=actor.id,
        city=job.city,
    )


def _visible_booking(user: User, booking_id: int) -> Booking:
    """The booking, for its worker, the shift's employer side or an official of its city.

    Anyone else is told it does not exist (404); the route lets no other role call.
    """
    if user.role == "official":
        booking = db.session.get(Booking, booking_id)
        city = (
            None
            if booking is None
            else db.session.scalar(select(Job.city).join(Shift).where(Shift.id == booking.shift_id))
        )
        official_of_city(
            user, city, N_("only officials read other people's agreements"), N_("booking")
        )
        assert booking is not None  # official_of_city refused a booking of no city
        return booking
    booking, _ = access.as_either_side(user, booking_id)
    return booking


def read(user: User, booking_id: int) -> Agreement:
    """The agreement of a booking the caller may see (404 when it has none, saying why)."""
    booking = _visible_booking(user, booking_id)
    agreement = db.session.scalar(select(Agreement).where(Agreement.booking_id == booking.id))
    if agreement is not None:
        return agreement
    if booking.status == "offered":
        raise NoAgreement(
            N_("booking %(booking)s is an offer the worker has not accepted: no agreement yet"),
            booking=booking.id,
        )
    raise NoAgreement(
        N_(
            "booking %(booking)s has no agreement: it was made before agreements were "
            "recorded, or the worker never accepted it"
        ),
        booking=booking.id,
    )


def reseal(batch_size: int = 500) -> int:
    """Seal again under the current ID_KEY the agreements still under a retired key; how many.

    Part of ``flask keys rotate-id-key``: the text and the parties name the worker and are
    sealed like the worker's name, so they follow it to the new key. The caller commits.
    """
    cipher = personal_cipher()
    # The ciphertexts, not the texts they decrypt to.
    sealed_text = type_coerce(Agreement.text, Text).label("sealed_text")
    sealed_parties = type_coerce(Agreement.parties_sealed, Text).label("sealed_parties")
    resealed, after = 0, 0
    while True:
        rows = db.session.execute(
            select(Agreement.id, sealed_text, sealed_parties)
            .where(Agreement.id > after)
            .order_by(Agreement.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return resealed
        for row in rows:
            if cipher.is_current(row.sealed_text) and cipher.is_current(row.sealed_parties):
                continue
            db.session.execute(
                update(Agreement)
                .where(Agreement.id == row.id)
                .values(
                    text=cipher.decrypt(row.sealed_text),
                    parties_sealed=cipher.decrypt(row.sealed_parties),
                )
            )
            resealed += 1
        after = rows[-1].id
