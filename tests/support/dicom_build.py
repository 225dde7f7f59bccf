"""Pieces of synthetic DICOM objects that the test and benchmark builders share."""

from __future__ import annotations

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian


def ct12_pixel_module(ds: Dataset) -> None:
    """A CT-like grey pixel module: 12 of 16 bits stored, unsigned, HU rescale."""
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"


def attach_file_meta(ds: Dataset, transfer_syntax: str = ExplicitVRLittleEndian, **extra: str) -> None:
    """Part 10 file meta from the dataset's SOP class and instance (``extra``: more meta
    elements by keyword, e.g. ``SourceApplicationEntityTitle``)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    for keyword, value in extra.items():
        setattr(meta, keyword, value)
    ds.file_meta = meta
