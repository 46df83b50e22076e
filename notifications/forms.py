from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Preference, Webhook


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["digest_enabled", "digest_weekday", "language", "email_reminders"]


class WebhookForm(forms.ModelForm):
    """A group robot for one of the user's agencies or documents: exactly one of the two."""

    url = forms.URLField(label=_("Webhook 地址"), max_length=500, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["agency", "document", "service", "url", "secret"]

    def __init__(self, *args, agencies, documents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["document"].queryset = documents

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("agency")) == bool(cleaned.get("document")):
            raise forms.ValidationError(_("请选择一个单位或一个政策文件(二选一)"))
        if cleaned.get("service") == Webhook.Service.DINGTALK and not cleaned.get("secret"):
            self.add_error("secret", _("钉钉群机器人请使用“加签”,并填写密钥"))
        return cleaned
