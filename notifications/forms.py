from django import forms

from .models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["digest_enabled", "digest_weekday", "language", "email_reminders"]
