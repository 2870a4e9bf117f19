#!/usr/bin/env python3
"""Writes the CSV reader's fixture files (run from this directory).

spectrum/: the csv-spectrum cases (github.com/max-mapper/csv-spectrum) plus a BOM case.
sleepstudy_bom_crlf_quoted.csv: ../../../shared/data/sleepstudy.csv rewritten with a UTF-8 BOM,
CR LF line ends and every field quoted; it must read exactly as the plain file.
"""
import csv
import io
import os

FILES = {
    'spectrum/comma_in_quotes.csv': 'first,last,address,city,zip\nJohn,Doe,120 any st.,"Anytown, WW",08123\n',
    'spectrum/empty.csv': 'a,b,c\n1,"",""\n2,3,4\n',
    'spectrum/empty_crlf.csv': 'a,b,c\r\n1,"",""\r\n2,3,4\r\n',
    'spectrum/escaped_quotes.csv': 'a,b\n1,"ha ""ha"" ha"\n3,4\n',
    'spectrum/json.csv': 'key,val\n1,"{""type"": ""Point"", ""coordinates"": [102.0, 0.5]}"\n',
    'spectrum/newlines.csv': 'a,b,c\n1,2,3\n"Once upon \na time",5,6\n7,8,9\n',
    'spectrum/newlines_crlf.csv': 'a,b,c\r\n1,2,3\r\n"Once upon \r\na time",5,6\r\n7,8,9\r\n',
    'spectrum/quotes_and_newlines.csv': 'a,b\n1,"ha \n""ha"" \nha"\n3,4\n',
    'spectrum/simple.csv': 'a,b,c\n1,2,3\n',
    'spectrum/simple_crlf.csv': 'a,b,c\r\n1,2,3\r\n',
    'spectrum/utf8.csv': 'a,b,c\n1,2,3\n4,5,\u02a4\n',
    'spectrum/bom.csv': '\ufeffa,b,c\n1,2,3\n',
}

os.makedirs('spectrum', exist_ok=True)
for name, text in FILES.items():
    with open(name, 'wb') as f:
        f.write(text.encode('utf-8'))

rows = list(csv.reader(open('../../../../shared/data/sleepstudy.csv', newline='')))
out = io.StringIO()
csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator='\r\n').writerows(rows)
with open('sleepstudy_bom_crlf_quoted.csv', 'wb') as f:
    f.write(b'\xef\xbb\xbf' + out.getvalue().encode())
