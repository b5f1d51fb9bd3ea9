"""PDF/A-2b scaffolding for reportlab: sRGB output intent, XMP metadata, Info dictionary.

reportlab has no PDF/A switch; this adds what PDF/A-2b asks beyond embedded fonts (which the
renderer guarantees by registering TrueType fonts only). The output intent carries a v2 sRGB
profile made by `printing.icc`. Checked in tests with qpdf and poppler; not validated with veraPDF.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from html import escape
from typing import Any

from pyhanko.pdf_utils.metadata.model import VENDOR
from reportlab.pdfbase import pdfdoc

from printing.icc import PROFILE_PATH, build_profile

PRODUCER: str = str(VENDOR)
"""The producer pyHanko writes when it seals; using it from the start keeps Info and XMP equal."""


@functools.cache
def srgb_profile() -> bytes:
    """The shipped sRGB ICC v2 profile (`printing/assets/sRGB-v2.icc`), regenerated if missing."""
    try:
        return PROFILE_PATH.read_bytes()
    except OSError:
        return build_profile()


class _PlainStream(pdfdoc.PDFStream):  # type: ignore[misc]
    """A stream written without any /Filter entry (PDF/A wants the XMP readable as is)."""

    def format(self, document: Any) -> bytes:
        dictionary = pdfdoc.PDFDictionary(self.dictionary.dict.copy())
        content = self.content if isinstance(self.content, bytes) else self.content.encode("utf-8")
        dictionary["Length"] = len(content)
        return bytes(
            pdfdoc.format(dictionary, document) + b"\nstream\n" + content + b"\nendstream\n"
        )


class _Info(pdfdoc.PDFInfo):  # type: ignore[misc]
    """The Info dictionary with fixed UTC dates and the document id."""

    def __init__(self, *, created: datetime, document_id: str, fields: dict[str, str]) -> None:
        super().__init__()
        self._created = created
        self._document_id = document_id
        self._fields = fields

    def format(self, document: Any) -> bytes:
        # Values fixed at construction: the page template's setters must not change them.
        stamp = pdfdoc.PDFString(pdf_date(self._created))
        d: dict[str, Any] = {key: pdfdoc.PDFString(value) for key, value in self._fields.items()}
        d.update(
            {
                "CreationDate": stamp,
                "ModDate": stamp,
                "DocumentID": pdfdoc.PDFString(self._document_id),
            }
        )
        return bytes(pdfdoc.format(pdfdoc.PDFDictionary(d), document))


def pdf_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _xmp(
    *, title: str, author: str, subject: str, keywords: str, creator: str, created: datetime
) -> bytes:
    when = xmp_date(created)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(subject)}</rdf:li></rdf:Alt></dc:description>
   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
   <pdf:Keywords>{escape(keywords)}</pdf:Keywords>
   <xmp:CreatorTool>{escape(creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def apply_pdfa(
    canvas: Any,
    *,
    title: str,
    author: str,
    subject: str,
    keywords: str,
    creator: str,
    created: datetime,
    document_id: str,
) -> None:
    """Install Info, XMP and the sRGB output intent on a reportlab canvas before it is saved."""
    doc = canvas._doc
    doc.info = _Info(
        created=created,
        document_id=document_id,
        fields={
            "Title": title,
            "Author": author,
            "Subject": subject,
            "Keywords": keywords,
            "Creator": creator,
            "Producer": PRODUCER,
        },
    )

    metadata = _PlainStream(
        dictionary=pdfdoc.PDFDictionary(
            {"Type": pdfdoc.PDFName("Metadata"), "Subtype": pdfdoc.PDFName("XML")}
        ),
        content=_xmp(
            title=title,
            author=author,
            subject=subject,
            keywords=keywords,
            creator=creator,
            created=created,
        ),
    )
    icc = pdfdoc.PDFStream(
        dictionary=pdfdoc.PDFDictionary({"N": 3}),
        content=srgb_profile(),
        filters=[pdfdoc.PDFZCompress],
    )
    intent = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("OutputIntent"),
            "S": pdfdoc.PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "Info": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "DestOutputProfile": doc.Reference(icc),
        }
    )
    catalog = doc.Catalog
    catalog.Metadata = metadata
    catalog.OutputIntents = pdfdoc.PDFArray([intent])
    catalog.__NoDefault__ = [*pdfdoc.PDFCatalog.__NoDefault__, "OutputIntents"]
