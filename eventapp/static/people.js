/* The agenda builder's people pickers: suggestions from the meeting's participants as one types.
 *
 * Without this script the fields work as they are: a name or an e-mail per line, resolved by the
 * server. With it, a rapporteur field offers matching people, and each list of chairs or
 * speakers gets an "add a person" field whose choice is added as a line. Names are set as text,
 * never as markup.
 */
(function () {
  "use strict";

  var WAIT_MS = 150;

  function suggester(input, url) {
    var list = document.createElement("datalist");
    var asked = 0;
    var timer = null;
    list.id = input.id + "-suggestions";
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");

    function show(people, text) {
      list.setAttribute("data-for", text);
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      people.forEach(function (person) {
        var option = document.createElement("option");
        option.value = person.label;
        list.appendChild(option);
      });
    }

    function ask() {
      var text = input.value.trim();
      var mine = ++asked;
      if (text.length < 2) {
        show([], text);
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (people) {
          if (mine === asked) {
            show(people, text);
          }
        })
        .catch(function () {
          /* No suggestions: the field still works as typed. */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    return list;
  }

  function chosen(list, value) {
    return Array.prototype.some.call(list.options, function (option) {
      return option.value === value;
    });
  }

  function adder(area, url) {
    var wrap = document.createElement("div");
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "text";
    input.id = area.id + "-add";
    label.htmlFor = input.id;
    label.textContent = area.getAttribute("data-add-label");
    wrap.className = "field";
    wrap.appendChild(label);
    wrap.appendChild(input);
    area.parentNode.insertAdjacentElement("afterend", wrap);
    var list = suggester(input, url);

    function add() {
      // Enter with one suggestion for what is typed takes that person, else the text typed.
      var typed = input.value.trim();
      var answered = list.getAttribute("data-for") === typed && list.options.length === 1;
      var text = answered ? list.options[0].value : typed;
      if (!text) {
        return;
      }
      var lines = area.value.split("\n").filter(function (line) {
        return line.trim();
      });
      if (lines.indexOf(text) === -1) {
        lines.push(text);
      }
      area.value = lines.join("\n");
      input.value = "";
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
    }

    input.addEventListener("change", function () {
      if (chosen(list, input.value)) {
        add();
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // adds the person; it does not send the form
        add();
      }
    });
  }

  document.querySelectorAll("[data-people]").forEach(function (field) {
    var url = field.getAttribute("data-people");
    if (field.tagName === "TEXTAREA") {
      adder(field, url);
    } else {
      suggester(field, url);
    }
  });
})();
