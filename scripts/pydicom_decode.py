"""Reference side of `npm run check:pydicom`: pydicom's pixel_array of each file, compared with ours.

Usage: /usr/bin/python3 scripts/pydicom_decode.py OURS_DIR
OURS_DIR holds ours.json ({file: {photometric} or {error}}) and, per decoded file, N.f64 (our stored values
as float64, in file order of ours.json). YBR data that we return as RGB (colour JPEG) is converted with
pydicom's own convert_color_space first. Prints one JSON object per file, one per line.
"""
import json, os, sys, warnings
import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import convert_color_space

warnings.simplefilter('ignore')
d = sys.argv[1]
ours = json.load(open(os.path.join(d, 'ours.json')))
for i, (f, o) in enumerate(ours.items()):
    row = {'file': f, 'ours': 'error' if 'error' in o else 'decoded'}
    try:
        ds = pydicom.dcmread(f, force=True)
        a = ds.pixel_array
        if 'error' not in o and o['photometric'] == 'RGB' and str(ds.get('PhotometricInterpretation', '')).startswith('YBR'):
            a = convert_color_space(a, ds.PhotometricInterpretation, 'RGB')
        row['pydicom'] = 'decoded'
    except Exception as e:  # pydicom's refusal is a result, not a failure of this script
        row['pydicom'] = 'error'
        row['pydicomReason'] = f'{type(e).__name__}: {str(e)[:160]}'
        a = None
    if a is not None and 'error' not in o:
        b = np.fromfile(os.path.join(d, f'{i}.f64'), dtype=np.float64)
        a = a.astype(np.float64).ravel()
        row['maxAbsDifference'] = None if a.size != b.size else (float(np.abs(a - b).max()) if a.size else 0.0)
        if a.size != b.size:
            row['sizes'] = [int(a.size), int(b.size)]
    print(json.dumps(row))
