// The hosted reset form, made friendlier where JavaScript runs: a live requirements checklist, a
// strength meter and a "Show password" button. The server still checks everything on submit, and
// without this script the form works the same. Words come from the page (data attributes), so the
// script speaks the page's language.
(function () {
  'use strict';
  var words = document.getElementById('form-enhancements');
  var password = document.getElementById('password');
  var confirm = document.getElementById('confirm');
  var box = document.getElementById('requirements');
  if (!words || !password || !box) return;
  var d = words.dataset;
  var items = Array.prototype.slice.call(box.querySelectorAll('li[data-rule]'));
  var squash = function (s) { return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ''); };
  var context = (box.dataset.context || '').split('\n').map(squash).filter(function (t) { return t.length >= 3; });
  var length = function (s) { return Array.from(s).length; }; // code points, as the server counts

  // Each rule: true (met), false (not met), or null (only the server can tell).
  var rules = {
    minLength: function (p, n) { return length(p) >= n; },
    maxLength: function (p, n) { return p ? length(p) <= n : null; },
    upper: function (p) { return /\p{Lu}/u.test(p); },
    lower: function (p) { return /\p{Ll}/u.test(p); },
    digit: function (p) { return /\p{Nd}/u.test(p); },
    special: function (p) { return /[^\p{L}\p{N}]/u.test(p); },
    notPersonal: function (p) {
      var s = squash(p);
      return p && context.some(function (t) { return s.indexOf(t) !== -1; }) ? false : null;
    },
  };

  box.classList.add('live');
  items.forEach(function (li) {
    var state = document.createElement('span');
    state.className = 'rule-state';
    li.appendChild(document.createTextNode(' '));
    li.appendChild(state);
  });

  // Strength: a bar for the eye and a word for everyone.
  var meter = document.createElement('div');
  meter.className = 'strength';
  meter.innerHTML = '<div class="strength-bar" aria-hidden="true"><span></span></div><p class="strength-text"></p>';
  var strengthText = meter.querySelector('.strength-text');
  var levels = (d.levels || '').split('|');
  password.insertAdjacentElement('afterend', meter);
  meter.hidden = true;

  // One polite announcement after typing pauses, not one per key.
  var live = document.createElement('p');
  live.className = 'visually-hidden';
  live.setAttribute('aria-live', 'polite');
  live.id = 'password-live';
  meter.insertAdjacentElement('afterend', live);

  // "Show password": a real button, pressed or not; it shows both fields.
  var toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'toggle-password';
  toggle.setAttribute('aria-pressed', 'false');
  toggle.setAttribute('aria-controls', confirm ? 'password confirm' : 'password');
  toggle.textContent = d.show;
  live.insertAdjacentElement('afterend', toggle);
  toggle.addEventListener('click', function () {
    var show = toggle.getAttribute('aria-pressed') !== 'true';
    toggle.setAttribute('aria-pressed', String(show));
    toggle.textContent = show ? d.hide : d.show;
    password.type = show ? 'text' : 'password';
    if (confirm) confirm.type = show ? 'text' : 'password';
  });

  var estimate = null;
  var loading = null;
  function loadEstimator() {
    if (!loading) {
      loading = import('/assets/vendor/strength.js')
        .then(function (m) { estimate = m.strength; update(); })
        .catch(function () { /* no meter then; the checklist still works */ });
    }
  }

  var score = -1;
  var timer = null;
  function update() {
    var p = password.value;
    var met = 0;
    items.forEach(function (li) {
      var rule = rules[li.dataset.rule];
      var result = rule ? rule(p, Number(li.dataset.count || 0)) : null;
      li.classList.toggle('met', result === true);
      li.classList.toggle('unmet', result === false);
      li.classList.toggle('pending', result === null);
      if (result === true && li.dataset.rule !== 'notPersonal') met++;
      li.querySelector('.rule-state').textContent = '(' + (result === true ? d.met : result === false ? d.unmet : d.onSubmit) + ')';
    });
    if (estimate && p) {
      score = estimate(p, context);
      meter.hidden = false;
      meter.dataset.score = String(score);
      strengthText.textContent = d.strength + ': ' + (levels[score] || '');
    } else {
      meter.hidden = true;
      score = -1;
    }
    var checkable = items.filter(function (li) { var r = li.dataset.rule; return !!rules[r] && r !== 'notPersonal'; }).length;
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!password.value) { live.textContent = ''; return; }
      var summary = (d.summary || '').replace('{met}', String(Math.min(met, checkable))).replace('{total}', String(checkable));
      live.textContent = summary + (score >= 0 ? ' ' + d.strength + ': ' + levels[score] + '.' : '');
    }, 900);
  }

  password.addEventListener('input', function () { loadEstimator(); update(); });
  password.addEventListener('focus', loadEstimator, { once: true });
  update();
})();
