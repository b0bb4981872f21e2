import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, requiredFieldValue } from './selectors.ts';

const KEY_REGEX_ERROR =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_ERROR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function labelError(text: string): string {
  try {
    parseLabelSelector(text);
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

function fieldError(text: string): string {
  try {
    parseFieldSelector(text);
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 400);
    return err.message;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

const matches = (selector: string, labels?: Record<string, string>): boolean => matchesLabels(parseLabelSelector(selector), labels);

describe('label selector grammar', () => {
  it('parses every operator, sorted by key', () => {
    assert.deepEqual(parseLabelSelector('z,!y,x=1,w==2,v!=3,u in (b,a),t notin (c),s>4,r<5'), [
      { key: 'r', operator: 'lt', values: ['5'] },
      { key: 's', operator: 'gt', values: ['4'] },
      { key: 't', operator: 'notin', values: ['c'] },
      { key: 'u', operator: 'in', values: ['a', 'b'] },
      { key: 'v', operator: '!=', values: ['3'] },
      { key: 'w', operator: '=', values: ['2'] },
      { key: 'x', operator: '=', values: ['1'] },
      { key: 'y', operator: '!', values: [] },
      { key: 'z', operator: 'exists', values: [] },
    ]);
  });

  it('accepts whitespace around everything and an empty selector', () => {
    assert.deepEqual(parseLabelSelector(''), []);
    assert.deepEqual(parseLabelSelector('  \t '), []);
    assert.deepEqual(parseLabelSelector(' a = b , ! c , d  in  ( x , y ) '), [
      { key: 'a', operator: '=', values: ['b'] },
      { key: 'c', operator: '!', values: [] },
      { key: 'd', operator: 'in', values: ['x', 'y'] },
    ]);
  });

  it('reads empty values the way Kubernetes does', () => {
    assert.deepEqual(parseLabelSelector('a='), [{ key: 'a', operator: '=', values: [''] }]);
    assert.deepEqual(parseLabelSelector('a!=,b'), [
      { key: 'a', operator: '!=', values: [''] },
      { key: 'b', operator: 'exists', values: [] },
    ]);
    assert.deepEqual(parseLabelSelector('a in ()'), [{ key: 'a', operator: 'in', values: [''] }]);
    assert.deepEqual(parseLabelSelector('a in (x,)'), [{ key: 'a', operator: 'in', values: ['', 'x'] }]);
    assert.deepEqual(parseLabelSelector('a in (,x)'), [{ key: 'a', operator: 'in', values: ['', 'x'] }]);
    assert.deepEqual(parseLabelSelector('a in (x,,y)'), [{ key: 'a', operator: 'in', values: ['', 'x', 'y'] }]);
  });

  it('takes in and notin as values and keys where a word is expected', () => {
    assert.deepEqual(parseLabelSelector('a in (in,notin)'), [{ key: 'a', operator: 'in', values: ['in', 'notin'] }]);
    assert.deepEqual(parseLabelSelector('in=notin'), [{ key: 'in', operator: '=', values: ['notin'] }]);
  });

  it('accepts prefixed keys', () => {
    assert.deepEqual(parseLabelSelector('app.kubernetes.io/name=web'), [{ key: 'app.kubernetes.io/name', operator: '=', values: ['web'] }]);
  });

  it('refuses bad keys with the field error kubectl prints', () => {
    assert.equal(labelError('app:web'), `unable to parse requirement: <nil>: Invalid value: "app:web": ${KEY_REGEX_ERROR}`);
    assert.equal(
      labelError('app.kubernetes_io/name=x'),
      `unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    assert.match(labelError('a/b/c'), /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a qualified name must consist of/);
    assert.equal(labelError(`${'k'.repeat(64)}`), `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`);
  });

  it('refuses bad values with their index and key', () => {
    assert.equal(labelError('a=b@'), `unable to parse requirement: values[0][a]: Invalid value: "b@": ${VALUE_REGEX_ERROR}`);
    assert.equal(labelError('a in (z,-x)'), `unable to parse requirement: values[0][a]: Invalid value: "-x": ${VALUE_REGEX_ERROR}`);
    assert.equal(labelError(`a=${'v'.repeat(64)}`), `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`);
  });

  it('wants integers for > and <, which must also be label values', () => {
    assert.equal(labelError('a>x'), `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`);
    assert.equal(labelError('a<'), `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`);
    assert.equal(labelError('a>-1'), `unable to parse requirement: values[0][a]: Invalid value: "-1": ${VALUE_REGEX_ERROR}`);
    assert.deepEqual(parseLabelSelector('a>007'), [{ key: 'a', operator: 'gt', values: ['007'] }]);
  });

  it('reports syntax errors with the token found', () => {
    assert.equal(labelError('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    assert.equal(labelError('a=b,'), "found '', expected: identifier after ','");
    assert.equal(labelError('a=b,,c'), "found ',', expected: identifier after ','");
    assert.equal(labelError(',a'), "found ',', expected: !, identifier, or 'end of string'");
    assert.equal(labelError('=a'), "found '=', expected: !, identifier, or 'end of string'");
    assert.equal(labelError('!'), "unable to parse requirement: found '', expected: identifier");
    assert.equal(labelError('!a=b'), "found '=', expected: ',' or 'end of string'");
    assert.equal(labelError('a=b c'), "found 'c', expected: ',' or 'end of string'");
    assert.equal(labelError('a=(b)'), "unable to parse requirement: found '(', expected: identifier");
    assert.equal(labelError('a in b'), "unable to parse requirement: found 'b' expected: '('");
    assert.equal(labelError('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
    assert.equal(labelError('a in (b c)'), "unable to parse requirement: found 'c', expected: ',' or ')'");
    assert.equal(labelError('a in (='), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
    assert.equal(labelError('a in (,='), "unable to parse requirement: found '=', expected: ',', or identifier");
    assert.equal(labelError('a!==b'), "unable to parse requirement: found '=', expected: identifier");
  });
});

describe('label selector matching', () => {
  const labels = { app: 'web', tier: 'front', n: '10', empty: '' };

  it('equality and existence', () => {
    assert.equal(matches('app=web', labels), true);
    assert.equal(matches('app==web', labels), true);
    assert.equal(matches('app=db', labels), false);
    assert.equal(matches('app', labels), true);
    assert.equal(matches('missing', labels), false);
    assert.equal(matches('!missing', labels), true);
    assert.equal(matches('!app', labels), false);
    assert.equal(matches('empty=', labels), true);
    assert.equal(matches('missing=', labels), false);
  });

  it('!= and notin match when the label is absent', () => {
    assert.equal(matches('missing!=x', labels), true);
    assert.equal(matches('missing notin (x)', labels), true);
    assert.equal(matches('missing!=x', undefined), true);
    assert.equal(matches('app!=web', labels), false);
    assert.equal(matches('app notin (db,web)', labels), false);
    assert.equal(matches('app notin (db)', labels), true);
  });

  it('in needs the label', () => {
    assert.equal(matches('app in (db,web)', labels), true);
    assert.equal(matches('app in (db)', labels), false);
    assert.equal(matches('missing in (x)', labels), false);
    assert.equal(matches('empty in ()', labels), true);
  });

  it('compares integers for > and <, and never matches a non-integer label', () => {
    assert.equal(matches('n>9', labels), true);
    assert.equal(matches('n>10', labels), false);
    assert.equal(matches('n<11', labels), true);
    assert.equal(matches('n<2', labels), false, 'numeric, not string, order');
    assert.equal(matches('app>1', labels), false);
    assert.equal(matches('missing<100', labels), false);
    assert.equal(matches('n>9223372036854775806', { n: '9223372036854775807' }), true, 'int64 precision');
  });

  it('needs every requirement', () => {
    assert.equal(matches('app=web,tier=front', labels), true);
    assert.equal(matches('app=web,tier=back', labels), false);
    assert.equal(matches('', undefined), true);
  });
});

describe('field selectors', () => {
  it('parses =, == and != terms, sorted, skipping empty terms', () => {
    assert.deepEqual(parseFieldSelector('status.phase!=Running,spec.nodeName==n1,metadata.name=x,'), [
      { field: 'metadata.name', operator: '=', value: 'x' },
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Running' },
    ]);
    assert.deepEqual(parseFieldSelector(''), []);
    assert.deepEqual(parseFieldSelector('a='), [{ field: 'a', operator: '=', value: '' }]);
  });

  it('unescapes \\, \\= and \\\\ in values, splitting only on bare commas', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,x=y'), [
      { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
      { field: 'x', operator: '=', value: 'y' },
    ]);
  });

  it('keeps the field as written: no trimming', () => {
    assert.deepEqual(parseFieldSelector('metadata.name = x'), [{ field: 'metadata.name ', operator: '=', value: ' x' }]);
  });

  it('refuses terms without an operator, bad escapes and bare = in values', () => {
    assert.equal(fieldError('metadata.name'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    assert.equal(fieldError('a=b,c'), "invalid selector: 'a=b,c'; can't understand 'c'");
    assert.equal(fieldError(' '), "invalid selector: ' '; can't understand ' '");
    assert.equal(fieldError('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
    assert.equal(fieldError('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
    assert.equal(fieldError('a=b=c'), 'invalid field selector: unescaped character in value: =');
  });

  it('matches absent fields as the empty string', () => {
    const fields = (f: string) => ({ 'spec.nodeName': 'n1' })[f];
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName=n1'), fields), true);
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName!=n1'), fields), false);
    assert.equal(matchesFields(parseFieldSelector('status.phase='), fields), true);
    assert.equal(matchesFields(parseFieldSelector('status.phase!=Running'), fields), true);
    assert.equal(matchesFields(parseFieldSelector('status.phase=Running'), fields), false);
  });

  it('tells the value a selector pins a field to', () => {
    assert.equal(requiredFieldValue(parseFieldSelector('metadata.name==web,spec.x=1'), 'metadata.name'), 'web');
    assert.equal(requiredFieldValue(parseFieldSelector('metadata.name!=web'), 'metadata.name'), undefined);
    assert.equal(requiredFieldValue(parseFieldSelector('spec.x=1'), 'metadata.name'), undefined);
  });
});
