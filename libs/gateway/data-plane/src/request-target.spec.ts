import { hasDotSegment, parseRequestTarget } from './request-target';

describe('parseRequestTarget', () => {
  it('splits path and query', () => {
    expect(parseRequestTarget('/echo/a?b=1&c')).toEqual({ path: '/echo/a', query: '?b=1&c' });
    expect(parseRequestTarget('/echo')).toEqual({ path: '/echo', query: '' });
  });

  it('reduces absolute-form to its path', () => {
    expect(parseRequestTarget('http://gw.example.com/echo/x?y=1')).toEqual({
      path: '/echo/x',
      query: '?y=1',
    });
  });

  it('refuses * and authority-form', () => {
    expect(parseRequestTarget('*')).toBeNull();
    expect(parseRequestTarget('example.com:443')).toBeNull();
  });
});

describe('hasDotSegment', () => {
  it.each(['/a/../b', '/a/./b', '/a/..', '/a/%2e%2E/b', '/a/.%2e', '/%2E'])('finds one in %s', (path) => {
    expect(hasDotSegment(path)).toBe(true);
  });

  it.each(['/a/b', '/a/.well-known/x', '/a/b..c', '/a/%20/b', '/file.txt', '/a/%2F'])(
    'finds none in %s',
    (path) => {
      expect(hasDotSegment(path)).toBe(false);
    },
  );
});
