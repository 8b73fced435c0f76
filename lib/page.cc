/*
 * A C API over ctemplate (C++; lib/phonenumber.cc is the other), so the programs
 * stay C.  Templates are HTML with {{%AUTOESCAPE context="HTML"}} on their
 * first line, so ctemplate escapes every value for the place it stands
 * in; nothing set here reaches a page raw.  Every page may include the
 * shared {{>HEADER}} and {{>FOOTER}} (templates/_header.html,
 * templates/_footer.html), which see the values set with page_set_global().
 *
 * The pages' style sheet is not a template: templates/_style.css is read
 * as it is and set where _header.html says {{STYLE:none}}.  As a template
 * its 3 KB went through ctemplate's HTML parser, a character at a time,
 * at every CGI start: a tenth of the phone form's instructions
 * (callgrind).  It is the site's file, as trusted as the templates.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <ctemplate/template.h>

#include "log.h"
#include "page.h"

/* The longest style sheet read: more is a mistake, not a page. */
#define PAGE_STYLE_MAX (64 * 1024)

/* The style sheet, read once per process and again after page_forget():
 * each page refers to it, without a copy of its own. */
static std::string page_style;
static bool page_style_read;

struct page {
	std::string name;
	ctemplate::TemplateDictionary dict;

	explicit page(const char *n) : name(n), dict(n)
	{
	}
};

extern "C" struct page *
page_new(const char *name)
{
	struct page *p = new (std::nothrow) page(name);

	if (p == NULL) {
		log_msg("out of memory");
		exit(1);
	}
	p->dict.AddIncludeDictionary("HEADER")->SetFilename("_header.html");
	p->dict.AddIncludeDictionary("FOOTER")->SetFilename("_footer.html");
	return p;
}

extern "C" void
page_set(struct page *p, const char *key, const char *value)
{
	p->dict.SetValue(key, value != NULL ? value : "");
}

extern "C" void
page_set_global(struct page *p, const char *key, const char *value)
{
	p->dict.SetTemplateGlobalValue(key, value != NULL ? value : "");
}

extern "C" void
page_set_int(struct page *p, const char *key, long value)
{
	p->dict.SetIntValue(key, value);
}

/* The keys page_set_shared() set, each with its NUL, for page_clear_shared(). */
static std::string page_shared;

extern "C" void
page_set_shared(const char *key, const char *value)
{
	ctemplate::TemplateDictionary::SetGlobalValue(key, value != NULL ? value : "");
	page_shared.append(key, strlen(key) + 1);
}

extern "C" void
page_clear_shared(void)
{
	for (size_t at = 0; at < page_shared.size(); at += strlen(page_shared.c_str() + at) + 1)
		ctemplate::TemplateDictionary::SetGlobalValue(page_shared.c_str() + at, "");
	page_shared.clear();
}

extern "C" void
page_show(struct page *p, const char *name)
{
	p->dict.ShowSection(name);
}

/* dir's _style.css into page_style; empty when there is none, or (logged)
 * when it cannot be read. */
static void
page_style_load(const char *dir)
{
	std::string path = std::string(dir) + "/_style.css";
	char buf[4096];
	size_t n;
	FILE *f;

	page_style_read = true;
	page_style.clear();
	if ((f = fopen(path.c_str(), "re")) == NULL) {
		/* None at all is a template set from before the file (its
		 * _header.html has the style in it): nothing to say. */
		if (errno != ENOENT)
			log_msg("cannot open the style sheet %s: %s", path.c_str(),
				strerror(errno));
	} else {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 &&
		       page_style.size() <= PAGE_STYLE_MAX)
			page_style.append(buf, n);
		if (ferror(f) || page_style.size() > PAGE_STYLE_MAX) {
			log_msg("cannot read the style sheet %s: %s", path.c_str(),
				ferror(f) ? strerror(errno) : "longer than 64 KiB");
			page_style.clear();
		}
		fclose(f);
	}
}

extern "C" int
page_render(struct page *p, const char *dir, char **out, size_t *len)
{
	std::string s;

	try {
		if (!page_style_read)
			page_style_load(dir);
		p->dict.SetTemplateGlobalValueWithoutCopy("STYLE", page_style);
		ctemplate::mutable_default_template_cache()->SetTemplateRootDirectory(dir);
		if (!ctemplate::ExpandTemplate(p->name, ctemplate::STRIP_BLANK_LINES, &p->dict,
					       &s)) {
			log_msg("cannot expand template %s (in TEMPLATE_DIR)", p->name.c_str());
			return -1;
		}
	} catch (const std::exception &e) {
		log_msg("cannot expand template %s: %s", p->name.c_str(), e.what());
		return -1;
	}
	*out = static_cast<char *>(xmalloc(s.size() + 1));
	memcpy(*out, s.data(), s.size());
	(*out)[s.size()] = '\0';
	*len = s.size();
	return 0;
}

extern "C" void
page_free(struct page *p)
{
	delete p;
}

extern "C" void
page_forget(void)
{
	ctemplate::mutable_default_template_cache()->ClearCache();
	page_style_read = false;
	page_style.clear();
}
