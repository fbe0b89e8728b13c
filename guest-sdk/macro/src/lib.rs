//! The `#[skill]` attribute of the skillhost guest SDK.
//!
//! It reads a module of plain functions and generates the component's
//! `abilities` export: one ability per `pub fn`, named after the function,
//! described by its doc comment, with the JSON Schema of its input type.
use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{
    Attribute, Expr, FnArg, Item, ItemFn, ItemMod, Lit, Meta, Type, Visibility, parse_macro_input,
};

/// Turns every `pub fn` of an inline module into an ability of the skill.
///
/// Each ability function takes zero or one argument (its input, a type that
/// implements `serde::Deserialize` and `schemars::JsonSchema`) and returns
/// anything that implements `skillhost_sdk::IntoAbilityResult`. Its doc
/// comment is the description agents read, so write it for them.
/// Functions that are not `pub` are ordinary helpers.
#[proc_macro_attribute]
pub fn skill(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[skill] takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    let module = parse_macro_input!(item as ItemMod);
    match expand(&module) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

struct Ability {
    name: String,
    ident: syn::Ident,
    description: String,
    input: Option<Type>,
}

fn expand(module: &ItemMod) -> syn::Result<proc_macro2::TokenStream> {
    let Some((_, items)) = &module.content else {
        return Err(syn::Error::new_spanned(
            module,
            "#[skill] needs an inline module: `mod abilities { ... }`",
        ));
    };
    let abilities = items
        .iter()
        .filter_map(|item| match item {
            Item::Fn(f) if matches!(f.vis, Visibility::Public(_)) => Some(ability(f)),
            _ => None,
        })
        .collect::<syn::Result<Vec<_>>>()?;
    if abilities.is_empty() {
        return Err(syn::Error::new_spanned(
            &module.ident,
            "a skill needs at least one ability: add a `pub fn` to this module",
        ));
    }
    let module_ident = &module.ident;
    let descriptors = abilities.iter().map(|a| {
        let name = &a.name;
        let description = &a.description;
        let input = a.input.clone().unwrap_or_else(|| syn::parse_quote!(::skillhost_sdk::__private::serde_json::Map<String, ::skillhost_sdk::__private::serde_json::Value>));
        quote! { ::skillhost_sdk::__private::ability::<#input>(#name, #description) }
    });
    let arms = abilities.iter().map(|a| {
        let name = &a.name;
        let ident = &a.ident;
        match &a.input {
            Some(input) => quote! {
                #name => {
                    let input: #input = ::skillhost_sdk::__private::input(&input)?;
                    ::skillhost_sdk::__private::finish(#module_ident::#ident(input))
                },
            },
            None => {
                quote! { #name => ::skillhost_sdk::__private::finish(#module_ident::#ident()), }
            }
        }
    });
    let exporter = format_ident!("__SkillhostSkill");
    Ok(quote! {
        #module

        #[doc(hidden)]
        pub struct #exporter;

        impl ::skillhost_sdk::__private::exports::skillhost::skill::abilities::Guest for #exporter {
            fn describe() -> ::std::vec::Vec<::skillhost_sdk::__private::exports::skillhost::skill::abilities::Ability> {
                ::std::vec![#(#descriptors),*]
            }

            fn invoke(
                name: ::std::string::String,
                input: ::std::string::String,
            ) -> ::std::result::Result<
                ::skillhost_sdk::__private::exports::skillhost::skill::abilities::Output,
                ::skillhost_sdk::__private::exports::skillhost::skill::abilities::Error,
            > {
                match name.as_str() {
                    #(#arms)*
                    other => ::std::result::Result::Err(::skillhost_sdk::__private::unknown(other)),
                }
            }
        }

        ::skillhost_sdk::__private::export!(#exporter);
    })
}

fn ability(f: &ItemFn) -> syn::Result<Ability> {
    let ident = f.sig.ident.clone();
    let name = ident.to_string();
    let description = doc_text(&f.attrs);
    if description.is_empty() {
        return Err(syn::Error::new_spanned(
            &f.sig.ident,
            "an ability needs a doc comment: it is the description agents read",
        ));
    }
    let input = match f.sig.inputs.len() {
        0 => None,
        1 => match f.sig.inputs.first() {
            Some(FnArg::Typed(arg)) => Some((*arg.ty).clone()),
            _ => {
                return Err(syn::Error::new_spanned(
                    &f.sig.inputs,
                    "an ability is a free function, not a method",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                &f.sig.inputs,
                "an ability takes at most one argument: put the inputs in one struct",
            ));
        }
    };
    if f.sig.asyncness.is_some() {
        return Err(syn::Error::new_spanned(
            f.sig.asyncness,
            "abilities are synchronous functions",
        ));
    }
    Ok(Ability {
        name,
        ident,
        description,
        input,
    })
}

fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(s) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join("\n").trim().to_owned()
}
